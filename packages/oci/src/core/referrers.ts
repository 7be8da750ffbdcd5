import { digestOf } from "./digest.ts";
import { MediaType } from "./media-types.ts";
import { type Descriptor, encodeJson, type ImageIndex, type ParsedManifest } from "./schemas.ts";

/**
 * What refers to an image, in the two forms registries hold it:
 * - OCI 1.1 referrers: manifests with a `subject`, listed by the referrers API
 *   (`GET /v2/<name>/referrers/<digest>`) or, where a registry lacks it, in an image index tagged
 *   `<alg>-<hex>` (the tag-schema fallback);
 * - cosign's tags from before OCI 1.1: `sha256-<hex>.sig`, `.att` and `.sbom` beside the image.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
 */

/** Suffixes of cosign's digest tags: signatures, attestations, SBOMs. */
export const COSIGN_SUFFIXES = ["sig", "att", "sbom"] as const;

/** The tag-schema fallback's tag for the referrers of `digest`: `<alg>-<hex>`, cut to 128 characters. */
export function fallbackTag(digest: string): string {
  return digest.replace(":", "-").slice(0, 128);
}

/** cosign's tags for `digest` (`sha256-<hex>.sig`, `.att`, `.sbom`). */
export function cosignTags(digest: string): string[] {
  return COSIGN_SUFFIXES.map((suffix) => `${fallbackTag(digest)}.${suffix}`);
}

/** True for a fallback tag or a cosign digest tag: tags that travel with their image, never selected as images. */
export function isReferrerTag(tag: string): boolean {
  return /^sha(256|512)-[a-f0-9]{64,128}(\.(sig|att|sbom))?$/.test(tag);
}

/**
 * The descriptor a referrers list holds for a manifest with a subject: its `artifactType`, else its
 * config's media type (the spec's rule), and its annotations.
 */
export function referrerDescriptor(parsed: ParsedManifest): Descriptor {
  const document = parsed.kind === "index" ? parsed.index : parsed.manifest;
  const artifactType =
    document.artifactType ?? (parsed.kind === "image" ? parsed.manifest.config.mediaType : undefined);
  return {
    mediaType: parsed.mediaType,
    digest: parsed.digest,
    size: parsed.bytes.length,
    ...(artifactType !== undefined && { artifactType }),
    ...(document.annotations && { annotations: document.annotations }),
  };
}

/** A referrer passes when no artifact types are asked for, or its artifactType is one of them. */
export function wantedReferrer(
  descriptor: Descriptor,
  artifactTypes: readonly string[] | undefined,
): boolean {
  return artifactTypes === undefined || artifactTypes.includes(descriptor.artifactType ?? "");
}

/**
 * The fallback index after adding `added` to what it held (`current`, undefined when the tag is absent):
 * existing entries kept in their order, new ones appended. Undefined when nothing is new (nothing to write).
 */
export function extendFallbackIndex(
  current: ImageIndex | undefined,
  added: readonly Descriptor[],
): { bytes: Uint8Array; digest: string } | undefined {
  const manifests = [...(current?.manifests ?? [])];
  const fresh = added.filter((d) => !manifests.some((m) => m.digest === d.digest));
  if (fresh.length === 0) return undefined;
  const bytes = encodeJson({
    ...current,
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...manifests, ...fresh],
  });
  return { bytes, digest: digestOf(bytes) };
}
