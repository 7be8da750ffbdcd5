import pLimit from "p-limit";
import { parseManifest } from "./core/schemas.ts";
import { isPolyarchError } from "./errors.ts";
import { RegistryRepository } from "./registry/repository.ts";
import type { BlobRef, FetchedManifest, ImageStore } from "./store.ts";

export type BlobOutcome = "exists" | "mounted" | "copied";

export interface CopyStats {
  blobs: Record<BlobOutcome, number>;
  /** Bytes streamed from source to target (mounted and existing blobs move none). */
  bytes: number;
  manifests: number;
}

export interface CopyOptions {
  /** Blobs streamed at once. @default 4 */
  concurrency?: number;
  /** Told about each blob as it finishes. */
  onBlob?: (blob: BlobRef, outcome: BlobOutcome) => void;
}

export function emptyStats(): CopyStats {
  return { blobs: { exists: 0, mounted: 0, copied: 0 }, bytes: 0, manifests: 0 };
}

/** A transfer that broke off mid-stream is started over this many times. */
const BLOB_ATTEMPTS = 3;
const RESTARTABLE = new Set(["POLYARCH_E_NETWORK", "POLYARCH_E_DIGEST_MISMATCH", "POLYARCH_E_SIZE_MISMATCH"]);

/**
 * Copies one blob: skipped when the target has it, mounted when both stores are repositories of
 * the same registry, else streamed from source to target without touching the disk.
 */
export async function copyBlob(source: ImageStore, target: ImageStore, blob: BlobRef): Promise<BlobOutcome> {
  if (await target.hasBlob(blob)) return "exists";
  const open = () => source.openBlob(blob);
  for (let attempt = 1; ; attempt++) {
    try {
      const pair = sameRegistry(source, target);
      if (pair) {
        const result = await pair.target.mountBlob(blob, pair.source.repository, open);
        return result === "mounted" ? "mounted" : "copied";
      }
      await target.putBlob(blob, open);
      return "copied";
    } catch (error: unknown) {
      const restartable = isPolyarchError(error) ? RESTARTABLE.has(error.code) : isStreamError(error);
      if (!restartable || attempt >= BLOB_ATTEMPTS) throw error;
    }
  }
}

/** Both stores as registry repositories, when they are different repositories of one registry. */
function sameRegistry(
  source: ImageStore,
  target: ImageStore,
): { source: RegistryRepository; target: RegistryRepository } | undefined {
  if (!(source instanceof RegistryRepository && target instanceof RegistryRepository)) return undefined;
  const same = source.client === target.client && source.registry === target.registry;
  return same && source.repository !== target.repository ? { source, target } : undefined;
}

function isStreamError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    typeof code === "string" &&
    (code.startsWith("UND_ERR") || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE")
  );
}

/**
 * Copies a manifest and everything it references (children of an index first, then blobs), and
 * stores the manifest by digest, or under `tag` when given: the tag is written last, after every
 * manifest and blob it points to exists.
 */
export async function copyManifest(
  source: ImageStore,
  target: ImageStore,
  manifest: FetchedManifest,
  options: CopyOptions & { tag?: string } = {},
  stats: CopyStats = emptyStats(),
): Promise<CopyStats> {
  const parsed = parseManifest(manifest.bytes, manifest.digest, manifest.mediaType);
  if (parsed.kind === "index") {
    for (const child of parsed.index.manifests) {
      if (await target.headManifest(child.digest)) continue;
      const fetched = await source.getManifest(child.digest);
      await copyManifest(source, target, fetched, { ...options, tag: undefined }, stats);
    }
  } else {
    const limit = pLimit(options.concurrency ?? 4);
    const blobs = [parsed.manifest.config, ...parsed.manifest.layers];
    await Promise.all(
      blobs.map((blob) =>
        limit(async () => {
          const outcome = await copyBlob(source, target, blob);
          stats.blobs[outcome] += 1;
          if (outcome === "copied") stats.bytes += blob.size;
          options.onBlob?.(blob, outcome);
        }),
      ),
    );
  }
  await target.putManifest(manifest.bytes, manifest.mediaType, options.tag);
  stats.manifests += 1;
  return stats;
}
