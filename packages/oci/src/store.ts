import type { Readable } from "node:stream";

/** A manifest as a store returned it: the exact bytes, their media type and their digest. */
export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

/** What a tag or digest points at, learned without reading the manifest when the store allows. */
export interface ManifestHead {
  mediaType: string;
  digest: string;
  size: number;
}

/** The blob a store is asked to read or write. */
export interface BlobRef {
  digest: string;
  size: number;
  mediaType?: string;
}

/**
 * How a store answered a delete: done (or nothing was there), not by this kind of reference (a
 * registry that deletes by digest only), or refused (deletes disabled, or not permitted).
 */
export type DeleteOutcome = "deleted" | "unsupported" | "refused";

/** Opens a blob's bytes; may be called again when a transfer has to start over. */
export type BlobContent = () => Promise<Readable>;

/**
 * The operations a registry repository and an OCI image-layout directory have in common, so
 * commands copy between them in either direction. `reference` is a tag or a digest.
 */
export interface ImageStore {
  /** How the store is named in messages: `registry/repository` or `oci:dir`. */
  readonly name: string;
  /** The manifest a tag or digest points at, or undefined when there is none. */
  headManifest(reference: string): Promise<ManifestHead | undefined>;
  getManifest(reference: string): Promise<FetchedManifest>;
  /** Stores a manifest under its digest, and under `tag` when given. Returns the digest. */
  putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string>;
  hasBlob(blob: BlobRef): Promise<boolean>;
  /** Streams a blob, failing at the end when its bytes do not match the digest and size. */
  openBlob(blob: BlobRef): Promise<Readable>;
  putBlob(blob: BlobRef, content: BlobContent): Promise<void>;
  listTags(): Promise<string[]>;
}
