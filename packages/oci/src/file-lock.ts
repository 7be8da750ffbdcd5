import { resolve } from "node:path";
import type { PolyarchError } from "@polyarch/errors";
import { lock } from "proper-lockfile";

/**
 * The tail of each locked path's queue, keyed by absolute path. Process-wide on purpose: the lock
 * guards files on disk, not an object, and every user of one path must queue on it (openStore builds a
 * store per reference, sync copies several items into one layout at once, and the executor's cache
 * unpacks layers for several images at once). An entry lives only while work is queued.
 */
const queues = new Map<string, Promise<void>>();

export interface FileLockOptions {
  /** Where the lock directory is made. @default `${path}.lock` */
  lockPath?: string;
  /** About how long to wait for another holder before giving up, in milliseconds. @default 60_000 */
  waitMs?: number;
  /** The error to throw when the wait runs out. */
  busy: () => PolyarchError;
}

// A holder keeps its lock's mtime fresh every five seconds; one that has not for ten was killed.
const STALE_MS = 10_000;
const MAX_POLL_MS = 200;

/**
 * Runs `task` holding the lock on `path`: first its turn in this process's queue, then the lock on disk
 * that other processes (two CI jobs sharing a cache directory, parallel executor jobs) take too.
 * proper-lockfile does the on-disk part: an atomic mkdir, an mtime it keeps fresh while held, a lock left
 * by a killed process taken over once stale, and release on exit. The in-process queue stays because the
 * file lock is not re-entrant and would make tasks of one process poll each other.
 */
export async function withFileLock<T>(
  path: string,
  task: () => Promise<T>,
  options: FileLockOptions,
): Promise<T> {
  const key = resolve(path);
  const run = (queues.get(key) ?? Promise.resolve()).then(() => lockOnDisk(key, task, options));
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  try {
    return await run;
  } finally {
    if (queues.get(key) === tail) queues.delete(key);
  }
}

async function lockOnDisk<T>(path: string, task: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const waitMs = options.waitMs ?? 60_000;
  let release: () => Promise<void>;
  try {
    release = await lock(path, {
      lockfilePath: options.lockPath ?? `${path}.lock`,
      stale: STALE_MS,
      retries: {
        retries: Math.ceil(waitMs / MAX_POLL_MS),
        minTimeout: 5,
        maxTimeout: MAX_POLL_MS,
        factor: 1.5,
        randomize: true,
      },
      realpath: false,
    });
  } catch (error: unknown) {
    throw Object.assign(options.busy(), { cause: error });
  }
  try {
    return await task();
  } finally {
    // The task's outcome stands: a release that fails means the lock was already taken over as stale.
    await release().catch(() => undefined);
  }
}
