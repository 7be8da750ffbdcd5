import { chmod, link, lstat, mkdir, readdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { CachedLayer } from "./cache.ts";
import { lstatOrUndefined } from "./tree-fs.ts";

/**
 * Merges an image's unpacked layers, bottom first, into `tree` as overlayfs would show them: each
 * layer's whiteouts and opaque directories delete from what is below, then its entries replace what
 * is there. Regular files are hard links into the layer trees (no data is copied, and a layer shared
 * by several images is stored once); the merged tree is never written by jobs (it is the read-only
 * lower layer of their overlay, or copied). The walk never follows a symlink: a directory in an upper
 * layer replaces a symlink below it, as in overlayfs.
 */
export async function assembleRoot(tree: string, layers: readonly CachedLayer[]): Promise<void> {
  await mkdir(tree, { recursive: true, mode: 0o755 });
  for (const layer of layers) {
    for (const path of layer.changes.whiteouts) await removeInside(tree, path);
    for (const path of layer.changes.opaques) await emptyInside(tree, path);
    await mergeDirectory(layer.tree, tree);
  }
}

async function mergeDirectory(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    const existing = await lstatOrUndefined(target);
    if (entry.isDirectory()) {
      if (existing !== undefined && !existing.isDirectory()) await rm(target, { force: true });
      if (existing === undefined || !existing.isDirectory()) await mkdir(target);
      await chmod(target, (await lstat(source)).mode & 0o7777);
      await mergeDirectory(source, target);
      continue;
    }
    if (existing !== undefined) await rm(target, { recursive: existing.isDirectory(), force: true });
    if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (entry.isFile()) await link(source, target);
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
