import { request } from "undici";
import {
  attestationFor,
  type Blob,
  blobOf,
  type Descriptor,
  type Image,
  type ImageIndex,
  indexOf,
} from "./fixtures.ts";
import { type PushResult, pushBlob, pushImage, pushIndex } from "./push.ts";
import {
  type AuthOptions,
  authHeaders,
  HttpStatusError,
  openSession,
  type RegistryTarget,
} from "./registry-http.ts";

/**
 * Referrer fixtures as the tools write them, so polyarch is tested against the shapes it meets:
 * BuildKit's per-architecture index, cosign's `.sig` tag, and an OCI 1.1 artifact with a `subject`
 * pushed the way oras and cosign push it to a registry without the referrers API (the tag fallback).
 */

/** A manifest that is not an image: a signature, an SBOM, an OCI 1.1 artifact. */
export interface Artifact {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

/** What the descriptor of a manifest with a subject says about it in a referrers list. */
export interface Referrer extends Artifact {
  /** The digest the artifact refers to. */
  subject: string;
  artifactType: string;
  annotations?: Record<string, string>;
}

export const referrerMediaTypes = {
  /** https://github.com/opencontainers/image-spec/blob/main/manifest.md#guidance-for-an-empty-descriptor */
  empty: "application/vnd.oci.empty.v1+json",
  cosignSimpleSigning: "application/vnd.dev.cosign.simplesigning.v1+json",
  spdx: "application/spdx+json",
} as const;

/**
 * The per-architecture index Docker Engine 29 and BuildKit push: the image, then an `unknown/unknown`
 * attestation manifest annotated `vnd.docker.reference.type: attestation-manifest` and
 * `vnd.docker.reference.digest` naming the image.
 */
export async function buildkitIndex(image: Image): Promise<ImageIndex & { attestation: Image }> {
  const attestation = await attestationFor(image);
  return { ...indexOf([image, attestation]), attestation };
}

/** `sha256-<hex>`: the tag-schema fallback's tag for the referrers of `digest` (distribution-spec, "Referrers Tag Schema"). */
export function fallbackTag(digest: string): string {
  return digest.replace(":", "-").slice(0, 128);
}

/** cosign's tag for a signature (`.sig`), attestation (`.att`) or SBOM (`.sbom`) of `digest`. */
export function cosignTag(digest: string, suffix: "sig" | "att" | "sbom"): string {
  return `${fallbackTag(digest)}.${suffix}`;
}

/**
 * A signature as cosign (before OCI 1.1) stores it under `sha256-<hex>.sig`: an OCI manifest whose one
 * layer is the simple-signing payload naming the image's digest, with the signature in the layer's
 * `dev.cosignproject.cosign/signature` annotation. The signature bytes are made up: nothing here verifies them.
 */
export function cosignSignature(subject: string, dockerReference: string): Artifact & { tag: string } {
  const payload = blobOf(
    referrerMediaTypes.cosignSimpleSigning,
    Buffer.from(
      JSON.stringify({
        critical: {
          identity: { "docker-reference": dockerReference },
          image: { "docker-manifest-digest": subject },
          type: "cosign container image signature",
        },
        optional: null,
      }),
    ),
  );
  const config = blobOf(
    "application/vnd.oci.image.config.v1+json",
    Buffer.from(
      JSON.stringify({
        architecture: "",
        os: "",
        config: {},
        rootfs: { type: "layers", diff_ids: [payload.digest] },
      }),
    ),
  );
  const signature = Buffer.from(`polyarch-test-signature-of-${subject}`).toString("base64");
  const manifest = blobOf(
    "application/vnd.oci.image.manifest.v1+json",
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: descriptorOf(config),
        layers: [
          { ...descriptorOf(payload), annotations: { "dev.cosignproject.cosign/signature": signature } },
        ],
      }),
    ),
  );
  return { manifest, config, layers: [payload], tag: cosignTag(subject, "sig") };
}

/**
 * An OCI 1.1 artifact (an SBOM by default) with `subject` naming `subject`, its config the empty
 * descriptor, as `oras attach` and `cosign attach sbom --registry-referrers-mode oci-1-1` write it.
 */
export function ociArtifact(
  subject: Descriptor,
  options: { artifactType?: string; content?: string; annotations?: Record<string, string> } = {},
): Referrer {
  const artifactType = options.artifactType ?? referrerMediaTypes.spdx;
  const config = blobOf(referrerMediaTypes.empty, Buffer.from("{}"));
  const layer = blobOf(
    artifactType,
    Buffer.from(options.content ?? `{"spdxVersion":"SPDX-2.3","name":"${subject.digest}"}`),
  );
  const manifest = blobOf(
    "application/vnd.oci.image.manifest.v1+json",
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType,
        config: descriptorOf(config),
        layers: [descriptorOf(layer)],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        ...(options.annotations && { annotations: options.annotations }),
      }),
    ),
  );
  return {
    manifest,
    config,
    layers: [layer],
    subject: subject.digest,
    artifactType,
    ...(options.annotations && { annotations: options.annotations }),
  };
}

/** The descriptor a referrers list (API answer or fallback index) holds for `referrer`. */
export function referrerDescriptor(referrer: Referrer): Descriptor & { artifactType: string } {
  return {
    ...descriptorOf(referrer.manifest),
    artifactType: referrer.artifactType,
    ...(referrer.annotations && { annotations: referrer.annotations }),
  };
}

/**
 * Pushes `referrer` by digest as oras and cosign do: blobs, then the manifest; when the registry's answer
 * lacks `OCI-Subject` (it has no referrers API), adds the referrer to its subject's `sha256-<hex>`
 * fallback index (read, append, write back). Returns whether the registry took it through the API.
 */
export async function pushReferrer(
  target: RegistryTarget,
  repo: string,
  referrer: Referrer,
  options: AuthOptions = {},
): Promise<{ digest: string; viaApi: boolean }> {
  for (const blob of [referrer.config, ...referrer.layers]) await pushBlob(target, repo, blob, options);
  const session = await openSession(target, repo, ["pull", "push"], options);
  const digest = referrer.manifest.digest;
  const put = await request(`${session.base}/v2/${repo}/manifests/${digest}`, {
    method: "PUT",
    headers: { "content-type": referrer.manifest.mediaType, ...authHeaders(session) },
    body: referrer.manifest.bytes,
  });
  const putText = await put.body.text();
  if (put.statusCode !== 201) throw new HttpStatusError("PUT", `${repo}@${digest}`, put.statusCode, putText);
  if (put.headers["oci-subject"] === referrer.subject) return { digest, viaApi: true };
  const tag = fallbackTag(referrer.subject);
  const current = await request(`${session.base}/v2/${repo}/manifests/${tag}`, {
    headers: { accept: "application/vnd.oci.image.index.v1+json", ...authHeaders(session) },
  });
  const text = await current.body.text();
  const existing: Descriptor[] =
    current.statusCode === 200 ? (JSON.parse(text) as { manifests: Descriptor[] }).manifests : [];
  const descriptor = referrerDescriptor(referrer);
  const manifests = [...existing.filter((d) => d.digest !== descriptor.digest), descriptor];
  const index = blobOf(
    "application/vnd.oci.image.index.v1+json",
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }),
    ),
  );
  await pushIndex(target, repo, tag, { manifest: index, images: [] }, options);
  return { digest, viaApi: false };
}

/** Pushes cosign's `.sig` (or `.att`, `.sbom`) manifest under its tag. */
export async function pushCosignTag(
  target: RegistryTarget,
  repo: string,
  artifact: Artifact & { tag: string },
  options: AuthOptions = {},
): Promise<PushResult> {
  return pushImage(target, repo, artifact.tag, artifact, options);
}

function descriptorOf(blob: Blob): Descriptor {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}
