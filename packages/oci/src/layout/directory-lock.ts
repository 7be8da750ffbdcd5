import { resolve } from "node:path";

/**
 * The tail of each layout directory's queue, keyed by absolute path. Process-wide on purpose: the
 * lock guards files on disk, not an object, and every LayoutStore on one directory must queue on
 * it (openStore builds a store per reference, and sync copies several items into one layout at
 * once). An entry lives only while work is queued, so the map does not grow with every layout.
 * Other processes are not serialized; the atomic renames keep index.json whole for them.
 */
const queues = new Map<string, Promise<void>>();

/** Runs `task` after every task queued earlier for the directory `path` in this process has settled. */
export async function withDirectoryLock<T>(path: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(path);
  const run = (queues.get(key) ?? Promise.resolve()).then(task);
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
