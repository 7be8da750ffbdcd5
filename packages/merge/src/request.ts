import type { ImageReference, Platform } from "@polyarch/oci";

/** One image to merge: where it is, and the platform it is merged as when the user stated one. */
export interface SourceSpec {
  /** The reference as the user wrote it (after template expansion), for messages. */
  text: string;
  reference: ImageReference;
  /** Stated platform; when absent it comes from the image's config. */
  platform?: Platform;
}

export interface DescriptorAnnotation {
  platform: Platform;
  key: string;
  value: string;
}

export type IndexType = "oci" | "docker";

/** Everything a merge needs to know, whichever way the sources were named. */
export interface MergeRequest {
  target: ImageReference & { tag: string };
  sources: SourceSpec[];
  /** More tags for the same index, written after the target tag. */
  tags: string[];
  /** Index flavour; by default a Docker list only when every child is a Docker manifest. */
  type?: IndexType;
  indexAnnotations: Record<string, string>;
  descriptorAnnotations: DescriptorAnnotation[];
  ignoreMissing: boolean;
  keepAttestations: boolean;
  verifyBinaries: boolean;
  dryRun: boolean;
}
