import { resolve } from "node:path";
import { lock } from "proper-lockfile";
import { PolyarchError } from "../errors.ts";

/**
 * The tail of each layout directory's queue, keyed by absolute path. Process-wide on purpose: the
 * lock guards files on disk, not an object, and every LayoutStore on one directory must queue on
 * it (openStore builds a store per reference, and sync copies several items into one layout at
 * once). An entry lives only while work is queued, so the map does not grow with every layout.
 */
const queues = new Map<string, Promise<void>>();

/** The lock directory inside a layout; other tools ignore entries of a layout they do not know. */
export const LOCK_NAME = ".polyarch.lock";

/**
 * Runs `task` holding the directory `path`'s lock: first its turn in this process's queue, then the
 * lock on disk that other processes (two CI jobs sharing a cache dir) take too. proper-lockfile does
 * the on-disk part: an atomic mkdir, an mtime it keeps fresh while held, a lock left by a killed
 * process taken over once stale, and release on exit; the in-process queue stays because the file lock
 * is not re-entrant and would make tasks of one process poll each other.
 */
export async function withDirectoryLock<T>(path: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  const run = (queues.get(key) ?? Promise.resolve()).then(() => withFileLock(key, task));
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

// A writer holds the lock for one read-modify-write of index.json (milliseconds); waiting up to about
// a minute covers a busy cache directory, and a crashed holder's lock goes stale after ten seconds.
const STALE_MS = 10_000;
const RETRIES = { retries: 300, minTimeout: 5, maxTimeout: 200, factor: 1.5, randomize: true };

async function withFileLock<T>(directory: string, task: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lock(directory, {
      lockfilePath: `${directory}/${LOCK_NAME}`,
      stale: STALE_MS,
      retries: RETRIES,
      realpath: false,
    });
  } catch (error: unknown) {
    throw new PolyarchError("POLYARCH_E_LAYOUT_LOCKED", `${directory} stayed locked by another writer`, {
      cause: error,
      hint: `another polyarch process is writing this layout; if none is, remove ${directory}/${LOCK_NAME}`,
    });
  }
  try {
    return await task();
  } finally {
    // The task's outcome stands: a release that fails means the lock was already taken over as stale.
    await release().catch(() => undefined);
  }
}
