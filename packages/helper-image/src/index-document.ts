import {
  type Descriptor,
  digestOf,
  encodeJson,
  type FetchedManifest,
  type ImageIndex,
  MediaType,
  type Platform,
} from "@polyarch/oci";
import type { RefreshItem } from "./plan.ts";

/** One image of the target index: the manifest to list and the platform its tag's architecture is. */
export interface IndexEntry {
  manifest: FetchedManifest;
  platform: Platform;
  /** Set when the manifest is a relabelled copy: the digest upstream published. */
  relabelledFrom?: string;
}

export const ANNOTATIONS = {
  version: "org.opencontainers.image.version",
  flavor: "dev.polyarch.helper.flavor",
  upstream: "dev.polyarch.helper.upstream",
  relabelledFrom: "dev.polyarch.helper.relabelled-from",
} as const;

/**
 * The multi-arch index for one item (pure): an OCI index listing the images in the configured
 * architecture order, each with its platform, annotated with the version, the flavor and the upstream
 * repository. Its bytes depend only on what it lists, so re-stitching unchanged images gives the same
 * digest.
 */
export function buildIndex(
  item: RefreshItem,
  entries: readonly IndexEntry[],
  upstream: string,
): FetchedManifest {
  const manifests: Descriptor[] = entries.map((entry) => ({
    mediaType: entry.manifest.mediaType,
    digest: entry.manifest.digest,
    size: entry.manifest.bytes.length,
    platform: entry.platform,
    ...(entry.relabelledFrom !== undefined && {
      annotations: { [ANNOTATIONS.relabelledFrom]: entry.relabelledFrom },
    }),
  }));
  const bytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests,
    annotations: {
      [ANNOTATIONS.version]: item.version,
      [ANNOTATIONS.flavor]: item.flavor,
      [ANNOTATIONS.upstream]: upstream,
    },
  });
  return { bytes, digest: digestOf(bytes), mediaType: MediaType.OciIndex };
}

/**
 * The upstream images an index of `buildIndex` lists (pure): each entry's digest, or for a relabelled
 * copy the digest upstream published, to which upstream's signatures and attestations refer.
 */
export function upstreamImages(index: ImageIndex): string[] {
  return index.manifests.map((entry) => entry.annotations?.[ANNOTATIONS.relabelledFrom] ?? entry.digest);
}
