import { PolyarchError } from "@polyarch/errors";
import {
  type Descriptor,
  digestOf,
  encodeJson,
  type FetchedManifest,
  formatPlatform,
  isAttestation,
  type Platform,
  platformName,
  platformsEqual,
} from "@polyarch/oci";

export interface FilteredIndex {
  /** The index to store: the source's own bytes when every child was kept, else a rebuilt index. */
  manifest: FetchedManifest;
  /** True when children were dropped, so the digest differs from the source's. */
  rebuilt: boolean;
  /** Platforms of the image entries kept, in index order. */
  kept: string[];
  /** Platforms (or `unknown`) of the entries dropped, attestations of dropped images included. */
  dropped: string[];
}

const REFERENCE_DIGEST = "vnd.docker.reference.digest";

/**
 * Keeps the entries of an index whose platform is one of `platforms` once normalized (and the
 * attestations of the images kept), leaving every other field as the source wrote it: `linux/amd64`
 * keeps the amd64 baseline, not amd64/v3, which is named `linux/amd64/v3` (oci's `selectChild` rule,
 * `exactly`). Every entry of a wanted platform is kept, as one index may list several (Windows images
 * of several OS versions). Fails when a requested platform matches no entry, naming what the index holds.
 */
export function filterIndex(
  manifest: FetchedManifest,
  platforms: readonly Platform[],
  what = manifest.digest,
): FilteredIndex {
  const document = JSON.parse(new TextDecoder().decode(manifest.bytes)) as {
    manifests: Descriptor[];
  } & Record<string, unknown>;
  const entries = document.manifests;
  const images = entries.filter((entry) => !isAttestation(entry));
  const missing = platforms.filter(
    (want) => !images.some((entry) => entry.platform && platformsEqual(want, entry.platform)),
  );
  if (missing.length > 0) {
    const offered = images.map((entry) => platformName(entry.platform));
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_NOT_FOUND",
      `${what} has no ${missing.map(formatPlatform).join(", ")} image; it holds ${offered.join(", ") || "nothing"}`,
      { hint: "drop those platforms from the list, or mirror without a platform filter" },
    );
  }
  const keptImages = new Set(
    images
      .filter((entry) => entry.platform && platforms.some((want) => platformsEqual(want, entry.platform!)))
      .map((entry) => entry.digest),
  );
  const keep = (entry: Descriptor) =>
    keptImages.has(entry.digest) ||
    (isAttestation(entry) && keptImages.has(entry.annotations?.[REFERENCE_DIGEST] ?? ""));
  const kept = entries.filter(keep);
  const dropped = entries.filter((entry) => !keep(entry));
  const label = (entry: Descriptor) =>
    isAttestation(entry) ? "attestation" : entry.platform ? formatPlatform(entry.platform) : "unknown";
  const result = {
    kept: kept.filter((entry) => !isAttestation(entry)).map(label),
    dropped: dropped.map(label),
  };
  if (dropped.length === 0) return { manifest, rebuilt: false, ...result };
  const bytes = encodeJson({ ...document, manifests: kept });
  return {
    manifest: { bytes, digest: digestOf(bytes), mediaType: manifest.mediaType },
    rebuilt: true,
    ...result,
  };
}
