import { constants } from "node:fs";
import { chmod, lstat, open, readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";

export async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

const MAX_LINKS = 40;

/**
 * Where `path` (absolute, as a process inside the image sees it) is on the host, following the
 * image's symlinks the way a chroot would: `..` and absolute targets stay inside `root`. Undefined
 * when it does not exist or loops. Used to look at an image (its shell, its /etc/passwd) without
 * ever reading a host file through an image's link.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const pending = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const segment = pending.shift() as string;
    if (segment === "..") {
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, segment);
    const stats = await lstatOrUndefined(host);
    if (stats === undefined) return undefined;
    if (stats.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await readlink(host);
      if (target.startsWith("/")) resolved.length = 0;
      pending.unshift(...target.split("/").filter((part) => part !== "" && part !== "."));
      continue;
    }
    resolved.push(segment);
  }
  return join(root, ...resolved);
}

/** A regular file of the image (read inside its root), or undefined when there is none. */
export async function readInRoot(
  root: string,
  path: string,
  limit = 1024 * 1024,
): Promise<string | undefined> {
  const host = await resolveInRoot(root, path);
  if (host === undefined) return undefined;
  const handle = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** Whether the image has an executable regular file at `path` (read inside its root). */
export async function isExecutableInRoot(root: string, path: string): Promise<boolean> {
  const host = await resolveInRoot(root, path);
  const stats = host === undefined ? undefined : await lstatOrUndefined(host);
  return stats?.isFile() === true && (stats.mode & 0o111) !== 0;
}

/**
 * Deletes a tree a job wrote, whatever modes it left (directories without write or search
 * permission, overlayfs's mode-0 work directory): owner bits are restored on the way down.
 */
export async function removeTree(path: string): Promise<void> {
  const stats = await lstatOrUndefined(path);
  if (stats === undefined) return;
  if (stats.isDirectory()) await openUp(path);
  await rm(path, { recursive: true, force: true });
}

async function openUp(directory: string): Promise<void> {
  await chmod(directory, 0o700).catch(() => undefined);
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) await openUp(join(directory, entry.name));
}
