import { constants } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, readdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { CachedLayer } from "./cache.ts";
import { lstatOrUndefined } from "./tree-fs.ts";
import type { LayerChanges } from "./unpack.ts";

/** The tar owner of each path of a tree that is not 0:0: `path` → [uid, gid]. */
export type Owners = NonNullable<LayerChanges["owners"]>;

/**
 * Merges an image's unpacked layers, bottom first, into `tree` as overlayfs would show them: each
 * layer's whiteouts and opaque directories delete from what is below, then its entries replace what
 * is there. Regular files are hard links into the layer trees (no data is copied, and a layer shared
 * by several images is stored once); the merged tree is never written by jobs (it is the read-only
 * lower layer of their overlay, or copied). The walk never follows a symlink: a directory in an upper
 * layer replaces a symlink below it, as in overlayfs.
 *
 * Returns the owners of the merged tree's paths (each path's from the layer that placed it, as its
 * mode). With `ownedCopies`, a file with an owner is copied rather than linked: the caller gives it
 * that owner, which must not reach the layer's own file (shared by other images' roots).
 */
export async function assembleRoot(
  tree: string,
  layers: readonly CachedLayer[],
  { ownedCopies = false } = {},
): Promise<Owners> {
  await mkdir(tree, { recursive: true, mode: 0o755 });
  const owners: Owners = {};
  for (const layer of layers) {
    for (const path of layer.changes.whiteouts) {
      await removeInside(tree, path);
      forget(owners, path);
    }
    for (const path of layer.changes.opaques) {
      await emptyInside(tree, path);
      forget(owners, path, { below: true });
    }
    const merge = { layerOwners: layer.changes.owners ?? {}, owners, ownedCopies };
    await mergeDirectory(layer.tree, tree, "", merge);
  }
  return owners;
}

interface Merge {
  layerOwners: Owners;
  owners: Owners;
  ownedCopies: boolean;
}

async function mergeDirectory(from: string, to: string, relative: string, merge: Merge): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    const existing = await lstatOrUndefined(target);
    const owner = merge.layerOwners[path];
    if (owner === undefined) delete merge.owners[path];
    else merge.owners[path] = owner;
    if (entry.isDirectory()) {
      if (existing !== undefined && !existing.isDirectory()) await rm(target, { force: true });
      if (existing === undefined || !existing.isDirectory()) await mkdir(target);
      await chmod(target, (await lstat(source)).mode & 0o7777);
      await mergeDirectory(source, target, path, merge);
      continue;
    }
    if (existing !== undefined) await rm(target, { recursive: existing.isDirectory(), force: true });
    forget(merge.owners, path, { below: true });
    if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (entry.isFile() && owner !== undefined && merge.ownedCopies) {
      await copyFile(source, target, constants.COPYFILE_FICLONE);
      await chmod(target, (await lstat(source)).mode & 0o7777);
    } else if (entry.isFile()) await link(source, target);
  }
}

/** Drops the owners of `path` (unless only what is `below` it went) and of everything below it. */
function forget(owners: Owners, path: string, { below = false } = {}): void {
  const prefix = path === "" ? "" : `${path}/`;
  for (const key of Object.keys(owners)) {
    if (key.startsWith(prefix) || (!below && key === path)) delete owners[key];
  }
}

/** Deletes `relative` from the tree when every directory on its way is a real one. */
async function removeInside(tree: string, relative: string): Promise<void> {
  const path = await insidePath(tree, relative);
  if (path !== undefined) await rm(path, { recursive: true, force: true });
}

async function emptyInside(tree: string, relative: string): Promise<void> {
  const path = relative === "" ? tree : await insidePath(tree, relative);
  const stats = path === undefined ? undefined : await lstatOrUndefined(path);
  if (path === undefined || !stats?.isDirectory()) return;
  for (const name of await readdir(path)) await rm(join(path, name), { recursive: true, force: true });
}

/** `tree/relative` when its parents are directories (not symlinks), else undefined: nothing to delete. */
async function insidePath(tree: string, relative: string): Promise<string | undefined> {
  let current = tree;
  const segments = relative.split("/");
  for (const segment of segments.slice(0, -1)) {
    current = join(current, segment);
    if (!(await lstatOrUndefined(current))?.isDirectory()) return undefined;
  }
  return join(current, segments[segments.length - 1] as string);
}
