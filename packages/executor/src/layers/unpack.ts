import { constants } from "node:fs";
import { chmod, link, mkdir, open, rm, symlink, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import { readLayerTar } from "@polyarch/oci";
import { type EntryAction, judgeEntry } from "./entry-policy.ts";
import { lstatOrUndefined } from "./tree-fs.ts";

/** What a layer leaves besides its files: the deletions it makes in the layers below. */
export interface LayerChanges {
  whiteouts: string[];
  opaques: string[];
  /** Bytes of regular files written, for the cache's size limit. */
  bytes: number;
  /** What the reader noticed, e.g. a media type that says gzip for a plain tar (the bytes won). */
  notes?: string[];
  /**
   * The tar's owner of each entry written that is not 0:0 (`path` → [uid, gid]), for a full-range
   * namespace to give back; the files themselves belong to the runner. Absent when every entry is 0:0.
   */
  owners?: Record<string, [number, number]>;
}

/** The highest id a job's namespace maps (0 and 1–65535, host/subids.ts); owners beyond are clamped to 0. */
const HIGHEST_MAPPED_ID = 65535;

/** Owner bits the executor needs to walk, copy and later delete its own trees. */
const DIRECTORY_OWNER_BITS = 0o700;
const FILE_OWNER_BITS = 0o400;
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Unpacks a layer blob into the empty directory `root`. Each header is judged first (entry-policy.ts);
 * then every write refuses to go through a symlink: parents are checked with lstat, files are created
 * with O_EXCL|O_NOFOLLOW, links never dereference. The reading is oci's `readLayerTar` (the bytes, not
 * the media type, decide the compression; a media type that lies is a note in the changes); the safety is ours.
 * On any refusal or damage it throws, and the caller discards `root` whole.
 */
export async function unpackLayer(
  blob: Readable,
  mediaType: string,
  root: string,
  what: string,
): Promise<LayerChanges> {
  const changes: LayerChanges = { whiteouts: [], opaques: [], bytes: 0 };
  const onNote = (note: string) => {
    changes.notes = [...(changes.notes ?? []), note];
  };
  const written = new Set<string>();
  try {
    for await (const entry of readLayerTar(blob, mediaType, { onNote })) {
      const action = judgeEntry(entry.header, written);
      recordOwner(action, entry.header, changes, onNote);
      if (action.kind === "file") {
        const path = await prepareTarget(root, action.path, what);
        const handle = await open(path, CREATE_FILE, action.mode | FILE_OWNER_BITS);
        try {
          for await (const chunk of entry.body) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        // The umask narrowed the mode at creation; set exactly what the layer asked for.
        await chmod(path, action.mode | FILE_OWNER_BITS);
        written.add(action.path);
        changes.bytes += entry.header.size ?? 0;
        continue;
      }
      await apply(action, root, written, changes, what);
    }
  } catch (error: unknown) {
    // The reader's failures name the media type but not the layer; ours name both.
    if (
      isPolyarchError(error, "POLYARCH_E_LAYER_CORRUPT") ||
      isPolyarchError(error, "POLYARCH_E_LAYER_UNSUPPORTED")
    ) {
      throw new PolyarchError(error.code, `${what}: ${error.message}`, { hint: error.hint, cause: error });
    }
    if (error instanceof PolyarchError) throw error;
    throw new PolyarchError("POLYARCH_E_LAYER_CORRUPT", `${what} could not be unpacked: ${describe(error)}`, {
      hint: "the layer is damaged or truncated; re-push the image",
      cause: error,
    });
  }
  return changes;
}

/**
 * Keeps the owner of an entry that is written (the last entry at a path wins, as on disk). An id no
 * job's namespace maps (above 65535) cannot be given back: it is clamped to 0, with a note.
 */
function recordOwner(
  action: EntryAction,
  header: { uid?: number | undefined; gid?: number | undefined },
  changes: LayerChanges,
  onNote: (note: string) => void,
): void {
  if (!["file", "directory", "symlink", "hardlink"].includes(action.kind)) return;
  const [uid, gid] = [header.uid ?? 0, header.gid ?? 0].map((id) => {
    if (id <= HIGHEST_MAPPED_ID) return id;
    onNote(
      `${action.path} is owned by id ${id}, above the ${HIGHEST_MAPPED_ID} a job maps: it belongs to 0 instead`,
    );
    return 0;
  }) as [number, number];
  const owners = changes.owners ?? {};
  // What was under a path a non-directory replaces is gone: its owners must not be applied through
  // whatever is there now (a symlink, perhaps).
  if (action.kind !== "directory") {
    for (const path of Object.keys(owners)) if (path.startsWith(`${action.path}/`)) delete owners[path];
  }
  if (uid === 0 && gid === 0) delete owners[action.path];
  else owners[action.path] = [uid, gid];
  if (Object.keys(owners).length > 0) changes.owners = owners;
  else delete changes.owners;
}

async function apply(
  action: Exclude<EntryAction, { kind: "file" }>,
  root: string,
  written: Set<string>,
  changes: LayerChanges,
  what: string,
): Promise<void> {
  switch (action.kind) {
    case "refuse":
      throw new PolyarchError(
        "POLYARCH_E_LAYER_UNSAFE",
        `${what}: entry ${action.path} is refused: ${action.reason}`,
        {
          hint: "the image's layer would write outside its root or create a device; rebuild the image without it",
        },
      );
    case "skip":
      return;
    case "whiteout":
      changes.whiteouts.push(action.path);
      return;
    case "opaque":
      changes.opaques.push(action.path);
      return;
    case "directory": {
      const path = join(root, action.path);
      await checkedParents(root, action.path, what);
      const existing = await lstatOrUndefined(path);
      if (existing !== undefined && !existing.isDirectory()) await replace(path, action.path, written);
      if (existing === undefined || !existing.isDirectory()) await mkdir(path);
      await chmod(path, action.mode | DIRECTORY_OWNER_BITS);
      return;
    }
    case "symlink": {
      const path = await prepareTarget(root, action.path, what);
      await symlink(action.target, path);
      return;
    }
    case "hardlink": {
      // The target was written by this layer as a regular file, but a later entry may have replaced a
      // directory on its way with a symlink: check every component again, and the file itself.
      await checkedParents(root, action.target, what);
      const target = await lstatOrUndefined(join(root, action.target));
      if (target === undefined || !target.isFile()) {
        throw new PolyarchError(
          "POLYARCH_E_LAYER_UNSAFE",
          `${what}: hard link ${action.path} → ${action.target} is refused: the target is not a regular file`,
          {
            hint: "rebuild the image without it",
          },
        );
      }
      const path = await prepareTarget(root, action.path, what);
      await link(join(root, action.target), path);
      written.add(action.path);
      return;
    }
  }
}

/** Makes the parents of `relative` real directories and clears whatever non-directory is at its place. */
async function prepareTarget(root: string, relative: string, what: string): Promise<string> {
  await checkedParents(root, relative, what);
  const path = join(root, relative);
  const existing = await lstatOrUndefined(path);
  if (existing !== undefined) await rm(path, { recursive: existing.isDirectory(), force: true });
  return path;
}

/**
 * Every parent of `relative` is made to exist as a real directory (created 0755 when missing, as tar
 * does); a parent that is a symlink or a file is refused, so no write ever follows a link.
 */
async function checkedParents(root: string, relative: string, what: string): Promise<void> {
  const segments = relative.split("/").slice(0, -1);
  let current = root;
  for (const [index, segment] of segments.entries()) {
    current = join(current, segment);
    const stats = await lstatOrUndefined(current);
    if (stats === undefined) {
      await mkdir(current, { mode: 0o755 });
      continue;
    }
    if (!stats.isDirectory()) {
      const through = segments.slice(0, index + 1).join("/");
      throw new PolyarchError(
        "POLYARCH_E_LAYER_UNSAFE",
        `${what}: entry ${relative} is refused: it goes through ${through}, which is ${stats.isSymbolicLink() ? "a symlink" : "not a directory"}`,
        { hint: "the image's layer would write through a link; rebuild the image without it" },
      );
    }
  }
}

async function replace(path: string, relative: string, written: Set<string>): Promise<void> {
  await unlink(path);
  written.delete(relative);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
