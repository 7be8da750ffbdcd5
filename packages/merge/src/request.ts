import type { ImageReference, Platform } from "@polyarch/oci";

/** One image to merge: where it is, and the platform it is merged as when the user stated one. */
export interface SourceSpec {
  /** The reference as the user wrote it (after template expansion), for messages. */
  text: string;
  reference: ImageReference;
  /** Stated platform, normalized; when absent it comes from the image's config. */
  platform?: Platform;
  /**
   * The stated platform as written (`arm64` with variant `v8`, `386`), which manifest-tool's rules put
   * in the index as it is; `platform` is what the image is checked against.
   */
  written?: Platform;
}

export interface DescriptorAnnotation {
  /** The entry of this platform; every image entry (not the attestations) when absent. */
  platform?: Platform;
  key: string;
  value: string;
}

export type IndexType = "oci" | "docker";

/**
 * Whose rules a merge follows where polyarch and manifest-tool differ:
 * - `merge` (`polyarch merge`): an index source gives the one child for its platform; a stated platform
 *   the config contradicts is accepted only when the binaries prove the config wrong; the index type
 *   follows the children.
 * - `manifest-tool` (`polyarch push`): an index source gives all its children; a stated platform wins
 *   over the config unless the binaries prove the config right; the index is a Docker manifest list
 *   unless `--type oci`; a stated variant and OS version stay as written.
 */
export type MergeRules = "merge" | "manifest-tool";

/** Everything a merge needs to know, whichever way the sources were named. */
export interface MergeRequest {
  target: ImageReference & { tag: string };
  sources: SourceSpec[];
  /** More tags for the same index, written after the target tag. */
  tags: string[];
  /** Index flavour; by default a Docker list only when every child is a Docker manifest (merge rules). */
  type?: IndexType;
  /** @default "merge" */
  rules?: MergeRules;
  /**
   * A source whose config contradicts its stated platform while its binaries agree with it is pushed
   * again with a corrected config and manifest (as `helper refresh` does), and the index lists that copy.
   */
  fixPlatform?: boolean;
  indexAnnotations: Record<string, string>;
  descriptorAnnotations: DescriptorAnnotation[];
  ignoreMissing: boolean;
  /** Keep the attestation manifests of index sources, each after its image (`--no-attestations` drops them). */
  keepAttestations: boolean;
  verifyBinaries: boolean;
  dryRun: boolean;
  /**
   * Carry what refers to each image copied from another repository (OCI referrers, cosign's digest
   * tags), before the index tag. @default true
   */
  referrers?: boolean;
}
