import { redactText } from "./redact.ts";

/**
 * What kind of failure an error code stands for; the CLI turns each kind into one exit code.
 * - `input`: the user's input is wrong (flags, references, spec files); nothing was changed: exit 2.
 * - `operation`: the operation failed (registry, network after retries, verification): exit 1.
 */
export type ErrorKind = "input" | "operation";

/**
 * Every code polyarch reports, once, with its kind. One code per condition whatever the store
 * (a missing blob is `BLOB_UNKNOWN` from a registry and from a layout). Scripts match on `code`
 * in `--json` errors; packages/oci/README.md lists them.
 */
export const errorCatalogue = {
  // Input: exit 2, nothing changed.
  POLYARCH_E_BAD_FLAG: {
    kind: "input",
    summary: "a flag's value is not valid, or flags contradict each other",
  },
  POLYARCH_E_BAD_REFERENCE: { kind: "input", summary: "an image reference cannot be parsed" },
  POLYARCH_E_BAD_PLATFORM: { kind: "input", summary: "a platform is not os/arch[/variant]" },
  POLYARCH_E_BAD_DIGEST: { kind: "input", summary: "a digest is not algorithm:hex of the right length" },
  POLYARCH_E_BAD_TAG: { kind: "input", summary: "a tag is not a valid tag" },
  POLYARCH_E_BAD_TARGET: { kind: "input", summary: "the target reference cannot be written to as asked" },
  POLYARCH_E_BAD_TEMPLATE: { kind: "input", summary: "a source or tag template has no usable placeholder" },
  POLYARCH_E_BAD_ANNOTATION: { kind: "input", summary: "an annotation is not key=value" },
  POLYARCH_E_BAD_SPEC: {
    kind: "input",
    summary: "a spec file is unreadable or invalid (every problem is listed)",
  },
  POLYARCH_E_FLEET_INVALID: { kind: "input", summary: "a fleet file is invalid (every problem is listed)" },
  POLYARCH_E_FLEET_NOT_FOUND: { kind: "input", summary: "the fleet file does not exist" },
  POLYARCH_E_FLEET_UNREADABLE: { kind: "input", summary: "the fleet file cannot be read" },
  POLYARCH_E_CI_FILE_UNREADABLE: {
    kind: "input",
    summary: "a CI file (or a file it includes) cannot be read",
  },
  POLYARCH_E_CI_INVALID: { kind: "input", summary: "a CI file breaks GitLab's schema or a pipeline check" },
  POLYARCH_E_BAD_SHARD: { kind: "input", summary: "a --shard is not INDEX/TOTAL with 1 <= INDEX <= TOTAL" },
  POLYARCH_E_NO_SOURCES: { kind: "input", summary: "a merge was given no source images" },
  POLYARCH_E_SOURCE_FORMS: { kind: "input", summary: "sources were given in more than one form" },
  POLYARCH_E_DUPLICATE_SOURCE: { kind: "input", summary: "the same source was named twice" },
  POLYARCH_E_DUPLICATE_PLATFORM: { kind: "input", summary: "two sources claim the same platform" },
  POLYARCH_E_AMBIGUOUS_SOURCE: {
    kind: "input",
    summary: "an index source holds several images and no platform was stated",
  },
  POLYARCH_E_TYPE_MISMATCH: { kind: "input", summary: "the index type asked for cannot hold these children" },
  POLYARCH_E_NO_TARGET: { kind: "input", summary: "no target reference was given" },
  POLYARCH_E_NOTHING_TO_PRINT: { kind: "input", summary: "the flags select no output" },
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
  POLYARCH_E_NO_BUILDER: {
    kind: "input",
    summary: "no Kaniko, Buildah or BuildKit here, or not the one --builder names",
  },
  POLYARCH_E_NO_DOCKERFILE: { kind: "input", summary: "the Dockerfile to build does not exist" },
  POLYARCH_E_BAD_BUILD_ARG: { kind: "input", summary: "a --build-arg or --label is not KEY=VALUE" },
  POLYARCH_E_NO_ENV_SOURCES: {
    kind: "input",
    summary: "merge --from-env found no POLYARCH_IMAGE_<ARCH> variable",
  },
  POLYARCH_E_BAD_ENV_SOURCE: {
    kind: "input",
    summary: "a POLYARCH_IMAGE_<ARCH> is not an architecture's image by digest",
  },
  POLYARCH_E_PLATFORM_NOT_BUILT: {
    kind: "input",
    summary: "--platforms asks for a platform no build job passed",
  },
  POLYARCH_E_IMAGE_NOT_ALLOWED: {
    kind: "input",
    summary: "a job's image is from a registry the executor does not allow",
  },
  // Operation: exit 1.
  POLYARCH_E_MISROUTED: {
    kind: "operation",
    summary: "the job runs on a machine of another architecture than it asked for",
  },
  POLYARCH_E_NO_EMULATOR: {
    kind: "operation",
    summary: "an emulated build's binfmt (QEMU) handler is not registered",
  },
  POLYARCH_E_BUILDER_FAILED: { kind: "operation", summary: "the image builder failed" },
  POLYARCH_E_DEMO_SETUP: { kind: "operation", summary: "the demo's local registry could not be started" },
  POLYARCH_E_BUILDER_OUTPUT: {
    kind: "operation",
    summary: "the builder reported no usable digest, or left no image (or several) in its layout",
  },
  POLYARCH_E_BUILT_PLATFORM: {
    kind: "operation",
    summary: "the built image's config says another platform than built for",
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
  POLYARCH_E_REFERRERS_INVALID: {
    kind: "operation",
    summary: "a registry answered the referrers API with something that is not a valid image index",
  },
  POLYARCH_E_REFERRER_REFUSED: {
    kind: "operation",
    summary: "a registry refused a referrer (a manifest with a subject: a signature, SBOM or attestation)",
  },
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
  POLYARCH_E_SOURCE_MISSING: { kind: "operation", summary: "a source image does not exist" },
  POLYARCH_E_NESTED_INDEX: { kind: "operation", summary: "an index source holds another index" },
  POLYARCH_E_PLATFORM_NOT_FOUND: {
    kind: "operation",
    summary: "an index has no child for the platform asked for",
  },
  POLYARCH_E_PLATFORM_MISMATCH: {
    kind: "operation",
    summary: "an image's config says another platform than the one it is merged as",
  },
  POLYARCH_E_BINARY_MISMATCH: {
    kind: "operation",
    summary: "an image's binaries are for another architecture",
  },
  POLYARCH_E_LAYER_UNSUPPORTED: { kind: "operation", summary: "a layer's compression cannot be read" },
  POLYARCH_E_LAYER_CORRUPT: { kind: "operation", summary: "a layer's tar stream is damaged" },
  POLYARCH_E_NO_TAGS: { kind: "operation", summary: "a repository to sync has no tags" },
  POLYARCH_E_UPSTREAM_MISSING: { kind: "operation", summary: "an upstream helper tag does not exist" },
  POLYARCH_E_UPSTREAM_SHAPE: {
    kind: "operation",
    summary: "an upstream helper image is not the shape expected",
  },
  POLYARCH_E_HELPER_VERIFY: { kind: "operation", summary: "a helper image failed its verification" },
  POLYARCH_E_EXECUTOR_ENV: {
    kind: "operation",
    summary: "the custom executor was not given the environment gitlab-runner sets",
  },
  POLYARCH_E_IMAGE_PLATFORM: {
    kind: "operation",
    summary: "a job's image is not for the host's platform and cannot be emulated",
  },
  POLYARCH_E_LAYER_UNSAFE: {
    kind: "operation",
    summary: "a layer would write outside its root, or holds a device node",
  },
  POLYARCH_E_IMAGE_USER: { kind: "operation", summary: "an image's User names no user of the image" },
  POLYARCH_E_SANDBOX: { kind: "operation", summary: "the job's sandbox could not be set up or started" },
  POLYARCH_E_JOB_NOT_PREPARED: { kind: "operation", summary: "a job stage ran before prepare finished" },
  POLYARCH_E_INTERNAL: {
    kind: "operation",
    summary: "a bug in polyarch: please report it with POLYARCH_DEBUG=1 output",
  },
} as const satisfies Record<`POLYARCH_E_${string}`, { kind: ErrorKind; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface PolyarchErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

/**
 * Every failure polyarch reports is a PolyarchError with a stable `code` that callers match on,
 * a message that names the bad value, and a `hint` that says what to do. Its kind comes from
 * the catalogue, so one code always means one exit code.
 */
export class PolyarchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;

  constructor(code: ErrorCode, message: string, options: PolyarchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PolyarchError";
    this.code = code;
    this.hint = options.hint;
    this.kind = errorCatalogue[code].kind;
  }
}

export function isPolyarchError(error: unknown, code?: ErrorCode): error is PolyarchError {
  return error instanceof PolyarchError && (code === undefined || error.code === code);
}

/** An error as a report (sync, helper refresh) holds it: stable code, scrubbed message and hint. */
export interface ReportedError {
  code: ErrorCode;
  message: string;
  hint?: string;
}

/** Messages of errors polyarch did not make may quote a signed URL or a header: both are scrubbed. */
export function reportedError(error: unknown): ReportedError {
  if (isPolyarchError(error)) {
    return {
      code: error.code,
      message: redactText(error.message),
      ...(error.hint !== undefined && { hint: redactText(error.hint) }),
    };
  }
  return {
    code: "POLYARCH_E_INTERNAL",
    message: redactText(error instanceof Error ? error.message : String(error)),
  };
}
