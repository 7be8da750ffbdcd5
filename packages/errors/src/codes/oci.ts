import type { CodeEntries } from "../kinds.ts";

/** @polyarch/oci: references, platforms, digests, the registry client, credentials, layouts and copies. */
export const ociCodes = {
  POLYARCH_E_BAD_REFERENCE: { kind: "input", summary: "an image reference cannot be parsed" },
  POLYARCH_E_BAD_PLATFORM: { kind: "input", summary: "a platform is not os/arch[/variant]" },
  POLYARCH_E_BAD_DIGEST: { kind: "input", summary: "a digest is not algorithm:hex of the right length" },
  POLYARCH_E_BAD_TAG: { kind: "input", summary: "a tag is not a valid tag" },
  POLYARCH_E_BAD_TARGET: { kind: "input", summary: "the target reference cannot be written to as asked" },
  POLYARCH_E_NOT_A_LAYOUT: { kind: "input", summary: "a directory is not an OCI image layout" },
  POLYARCH_E_REGISTRY_HOST: { kind: "input", summary: "a registry host name is not valid" },
  POLYARCH_E_CREDENTIAL_FLAGS: {
    kind: "input",
    summary: "--username and --password were not given together",
  },
  POLYARCH_E_CREDENTIAL_CONFIG: {
    kind: "input",
    summary: "a Docker config.json cannot be read or is invalid",
  },
  POLYARCH_E_TAG_IMMUTABLE: {
    kind: "operation",
    summary: "a tag points elsewhere and the registry's tags are immutable",
  },
  POLYARCH_E_UNAUTHORIZED: {
    kind: "operation",
    summary: "the registry refused the credentials, or needs some",
  },
  POLYARCH_E_UPLOAD_UNAUTHORIZED: {
    kind: "operation",
    summary: "the registry refused the credentials in the middle of an upload (an expired token)",
  },
  POLYARCH_E_DENIED: {
    kind: "operation",
    summary: "the credentials lack permission for this repository and action",
  },
  POLYARCH_E_TOKEN: { kind: "operation", summary: "the registry's token service gave no usable token" },
  POLYARCH_E_CREDENTIAL_HELPER: { kind: "operation", summary: "a docker-credential helper failed" },
  POLYARCH_E_ECR_TOKEN: { kind: "operation", summary: "no ECR authorization token could be fetched" },
  POLYARCH_E_RATE_LIMITED: { kind: "operation", summary: "the registry's rate limit outlasted the retries" },
  POLYARCH_E_NETWORK: { kind: "operation", summary: "the registry could not be reached after retries" },
  POLYARCH_E_REGISTRY: { kind: "operation", summary: "the registry refused the request" },
  POLYARCH_E_REGISTRY_UNAVAILABLE: {
    kind: "operation",
    summary: "the registry kept failing (5xx) after retries",
  },
  POLYARCH_E_REPOSITORY_UNKNOWN: { kind: "operation", summary: "the repository does not exist" },
  POLYARCH_E_MANIFEST_UNKNOWN: { kind: "operation", summary: "a manifest (tag or digest) does not exist" },
  POLYARCH_E_BLOB_UNKNOWN: { kind: "operation", summary: "a blob does not exist" },
  POLYARCH_E_MANIFEST_TOO_LARGE: { kind: "operation", summary: "a manifest is larger than polyarch reads" },
  POLYARCH_E_BLOB_TOO_LARGE: { kind: "operation", summary: "a blob read into memory is larger than allowed" },
  POLYARCH_E_BAD_MANIFEST: {
    kind: "operation",
    summary: "a manifest or config is not valid JSON of its type",
  },
  POLYARCH_E_UNSUPPORTED_MANIFEST: {
    kind: "operation",
    summary: "a manifest's media type is not one polyarch reads",
  },
  POLYARCH_E_BAD_LAYOUT: { kind: "operation", summary: "an OCI layout's files are damaged" },
  POLYARCH_E_INTERRUPTED: {
    kind: "operation",
    summary: "a signal (SIGINT, SIGTERM) stopped the command; nothing was written after it",
  },
  POLYARCH_E_LAYOUT_LOCKED: {
    kind: "operation",
    summary: "another process held an OCI layout's lock too long",
  },
  POLYARCH_E_DIGEST_MISMATCH: { kind: "operation", summary: "content does not match its digest" },
  POLYARCH_E_SIZE_MISMATCH: { kind: "operation", summary: "content does not have its stated size" },
  POLYARCH_E_DUPLICATE_PLATFORM: { kind: "input", summary: "two sources claim the same platform" },
  POLYARCH_E_NESTED_INDEX: { kind: "operation", summary: "an index source holds another index" },
  POLYARCH_E_PLATFORM_NOT_FOUND: {
    kind: "operation",
    summary: "an index has no child for the platform asked for",
  },
} as const satisfies CodeEntries;
