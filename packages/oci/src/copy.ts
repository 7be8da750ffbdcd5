import { pipeline, type Readable, Transform, type TransformCallback } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import pLimit from "p-limit";
import { isIndexMediaType } from "./core/media-types.ts";
import { parseFetchedManifest } from "./core/schemas.ts";
import { RegistryRepository } from "./registry/repository.ts";
import type { BlobRef, FetchedManifest, ImageStore } from "./store.ts";

export type BlobOutcome = "exists" | "mounted" | "copied";

export interface CopyStats {
  blobs: Record<BlobOutcome, number>;
  /** Bytes streamed from source to target (mounted and existing blobs move none). */
  bytes: number;
  manifests: number;
}

export function emptyStats(): CopyStats {
  return { blobs: { exists: 0, mounted: 0, copied: 0 }, bytes: 0, manifests: 0 };
}

/** Adds the counts of `more` into `total`. */
export function addStats(total: CopyStats, more: CopyStats): CopyStats {
  for (const outcome of ["exists", "mounted", "copied"] as const) total.blobs[outcome] += more.blobs[outcome];
  total.bytes += more.bytes;
  total.manifests += more.manifests;
  return total;
}

/** What a copy tells its observer, so a TTY can show progress. */
export type CopyProgress =
  /** Every blob the copy will look at, once the manifests are read. */
  | { kind: "plan"; blobs: number; bytes: number }
  /** Bytes of one blob streamed so far (starts again at 0 when a broken transfer restarts). */
  | { kind: "bytes"; digest: string; transferred: number; size: number }
  /** One blob is done. */
  | { kind: "blob"; digest: string; size: number; outcome: BlobOutcome };

/**
 * Makes concurrent copies into the same store transfer each blob once. Registries do not all cope
 * with two uploads of one blob to one repository at the same time (CNCF distribution can answer the
 * later manifest PUT with BLOB_UNKNOWN while the two commits race), and the second upload is wasted
 * anyway: the later copy waits for the first and then finds the blob there. One per run (a sync, a
 * helper refresh), shared by its copies.
 */
export class BlobTransfers {
  readonly #inflight = new Map<string, Promise<BlobOutcome>>();

  /** Runs `transfer` unless the same blob is on its way into the same store; then waits for that one. */
  async once(target: ImageStore, blob: BlobRef, transfer: () => Promise<BlobOutcome>): Promise<BlobOutcome> {
    const key = `${target.name}\0${blob.digest}`;
    const running = this.#inflight.get(key);
    if (running) {
      try {
        await running;
        return "exists";
      } catch {
        // The other copy failed; this one tries for itself.
        return this.once(target, blob, transfer);
      }
    }
    const started = transfer();
    this.#inflight.set(key, started);
    try {
      return await started;
    } finally {
      if (this.#inflight.get(key) === started) this.#inflight.delete(key);
    }
  }
}

export interface CopyImageOptions {
  /** Written last, after every manifest and blob it points to exists; without it the top manifest is stored by digest. */
  tag?: string;
  /** Blobs transferred at once. @default 4 */
  concurrency?: number;
  onProgress?: (event: CopyProgress) => void;
  /** Shared by concurrent copies into the same stores, so each blob is transferred once. */
  transfers?: BlobTransfers;
}

/** A transfer that broke off mid-stream, or whose upload the registry turned away for now, starts over this many times. */
const BLOB_ATTEMPTS = 3;
/**
 * The retry and auth interceptors cannot send a streamed upload twice, so a 429, a 5xx or a 401 answer
 * to one reaches the copy, which reopens the source and starts the upload over after a pause.
 */
const RESTARTABLE = new Set<string>([
  "POLYARCH_E_NETWORK",
  "POLYARCH_E_DIGEST_MISMATCH",
  "POLYARCH_E_SIZE_MISMATCH",
  "POLYARCH_E_RATE_LIMITED",
  "POLYARCH_E_REGISTRY_UNAVAILABLE",
  // Its restart opens a new session, whose 401 the auth layer answers with a fresh token.
  "POLYARCH_E_UPLOAD_UNAUTHORIZED",
]);
/** The pause before a restarted transfer, doubled each time. */
const RESTART_DELAY_MS = 250;

/**
 * Copies `top` (an image, or an index with its children) from `source` to `target`. Children the
 * target already has are skipped whole; the blobs of the rest are deduplicated and transferred
 * several at a time, each skipped when present, mounted within one registry, else streamed from
 * source to target. Child manifests are stored before `top`, and the tag last.
 */
export async function copyImage(
  source: ImageStore,
  target: ImageStore,
  top: FetchedManifest,
  options: CopyImageOptions = {},
): Promise<CopyStats> {
  const stats = emptyStats();
  if (options.tag !== undefined && (await target.headManifest(top.digest))) {
    // Stored by digest already, so everything under it is too (stores keep children before parents):
    // only the tag is new.
    await target.putManifest(top.bytes, top.mediaType, options.tag);
    stats.manifests += 1;
    return stats;
  }
  const children: FetchedManifest[] = [];
  const blobs = new Map<string, BlobRef>();
  await collect(source, target, top, children, blobs, true);
  const all = [...blobs.values()];
  options.onProgress?.({
    kind: "plan",
    blobs: all.length,
    bytes: all.reduce((sum, blob) => sum + blob.size, 0),
  });
  const limit = pLimit(options.concurrency ?? 4);
  await Promise.all(
    all.map((blob) =>
      limit(async () => {
        const transfer = () =>
          transferBlob(source, target, blob, (transferred) =>
            options.onProgress?.({ kind: "bytes", digest: blob.digest, transferred, size: blob.size }),
          );
        const outcome = options.transfers
          ? await options.transfers.once(target, blob, transfer)
          : await transfer();
        stats.blobs[outcome] += 1;
        if (outcome === "copied") stats.bytes += blob.size;
        options.onProgress?.({ kind: "blob", digest: blob.digest, size: blob.size, outcome });
      }),
    ),
  );
  // Image manifests at once; indexes (nested ones, rare) after them and one by one, children first, as a
  // registry may check that an index's manifests exist.
  const [images, indexes] = [
    children.filter((child) => !isIndexMediaType(child.mediaType)),
    children.filter((child) => isIndexMediaType(child.mediaType)),
  ];
  await Promise.all(images.map((child) => target.putManifest(child.bytes, child.mediaType)));
  for (const child of indexes) await target.putManifest(child.bytes, child.mediaType);
  stats.manifests += children.length;
  await target.putManifest(top.bytes, top.mediaType, options.tag);
  stats.manifests += 1;
  return stats;
}

/** Reads the manifests under `manifest` that the target lacks, deepest first, and the blobs they name. */
async function collect(
  source: ImageStore,
  target: ImageStore,
  manifest: FetchedManifest,
  children: FetchedManifest[],
  blobs: Map<string, BlobRef>,
  isTop: boolean,
): Promise<void> {
  const parsed = parseFetchedManifest(manifest);
  if (parsed.kind === "index") {
    // The children are looked up at once (a HEAD on the target, a GET on the source each), then walked in
    // the index's order: on a registry 30 ms away that is two round trips, not two per child.
    const digests = [...new Set(parsed.index.manifests.map((child) => child.digest))].filter(
      (digest) => !children.some((c) => c.digest === digest),
    );
    const missing = await Promise.all(
      digests.map(async (digest) =>
        (await target.headManifest(digest)) ? undefined : source.getManifest(digest),
      ),
    );
    for (const child of missing) {
      if (child === undefined || children.some((c) => c.digest === child.digest)) continue;
      await collect(source, target, child, children, blobs, false);
    }
  } else {
    for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) {
      if (!blobs.has(blob.digest)) blobs.set(blob.digest, blob);
    }
  }
  if (!isTop) children.push(manifest);
}

/**
 * Copies one blob: skipped when the target has it, mounted when both stores are repositories of one
 * registry, else streamed through without touching the disk. A stream that breaks off, or whose
 * bytes do not match the digest, starts over (the target never keeps a partial blob).
 */
export async function transferBlob(
  source: ImageStore,
  target: ImageStore,
  blob: BlobRef,
  onBytes?: (transferred: number) => void,
): Promise<BlobOutcome> {
  if (await target.hasBlob(blob)) return "exists";
  const open = async (): Promise<Readable> => {
    const stream = await source.openBlob(blob);
    return onBytes ? pipeline(stream, counter(onBytes), () => {}) : stream;
  };
  const pair = sameRegistry(source, target);
  for (let attempt = 1; ; attempt++) {
    // Between stores the download starts while the target opens its upload session, so the upload does not
    // wait a round trip for the first bytes. (Within one registry a mount usually needs no download at all.)
    let early = pair ? undefined : open();
    early?.catch(() => {}); // awaited by the upload, or below
    const content = () => {
      const stream = early ?? open();
      early = undefined;
      return stream;
    };
    try {
      if (pair) {
        const result = await pair.target.mountBlob(blob, pair.source.repository, content);
        return result === "mounted" ? "mounted" : "copied";
      }
      await target.putBlob(blob, content);
      return "copied";
    } catch (error: unknown) {
      const restartable = isPolyarchError(error) ? RESTARTABLE.has(error.code) : isStreamError(error);
      if (!restartable) throw error;
      if (attempt >= BLOB_ATTEMPTS) {
        if (isPolyarchError(error)) throw error;
        // A stream that broke off every time is the network's failure, reported as the registry client's are.
        throw new PolyarchError(
          "POLYARCH_E_NETWORK",
          `blob ${blob.digest} broke off ${BLOB_ATTEMPTS} times while it was copied: ${(error as Error).message}`,
          {
            hint: "the connection to the registry keeps dropping; check the network and run again",
            cause: error,
          },
        );
      }
    } finally {
      // The upload never asked for the bytes (it failed before): end the download it did not use.
      if (early !== undefined) (await early.catch(() => undefined))?.destroy();
    }
    await sleep(RESTART_DELAY_MS * 2 ** (attempt - 1));
  }
}

function counter(onBytes: (transferred: number) => void): Transform {
  let transferred = 0;
  onBytes(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      transferred += chunk.length;
      onBytes(transferred);
      callback(null, chunk);
    },
  });
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
