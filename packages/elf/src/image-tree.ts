import { posix } from "node:path";
import type { ElfBinary } from "./scan.ts";

export type TreeNode = { kind: "elf"; binary: ElfBinary } | { kind: "symlink"; target: string };

/** Linux gives up after 40 symlinks in one lookup (ELOOP); so do we. */
const MAX_SYMLINK_HOPS = 40;

/**
 * The ELF files and symlinks of an image's merged filesystem, as the layers applied so far leave it.
 * Directories are implied by paths; a count of nodes under each directory keeps deleting a subtree
 * cheap when (as for almost every file a layer adds) there is nothing under it.
 */
export class ImageTree {
  readonly #nodes = new Map<string, TreeNode>();
  readonly #descendants = new Map<string, number>();

  get(path: string): TreeNode | undefined {
    return this.#nodes.get(path);
  }

  set(path: string, node: TreeNode): void {
    if (!this.#nodes.has(path)) this.#count(path, 1);
    this.#nodes.set(path, node);
  }

  delete(path: string): void {
    if (this.#nodes.delete(path)) this.#count(path, -1);
  }

  /** Deletes `path` and, when it was a directory, everything under it. */
  deleteTree(path: string): void {
    this.delete(path);
    this.deleteChildren(path);
  }

  deleteChildren(directory: string): void {
    if (!this.#descendants.has(directory)) return;
    const prefix = directory === "/" ? "/" : `${directory}/`;
    for (const path of [...this.#nodes.keys()]) {
      if (path.startsWith(prefix)) this.delete(path);
    }
  }

  binaries(): ElfBinary[] {
    const binaries: ElfBinary[] = [];
    for (const node of this.#nodes.values()) if (node.kind === "elf") binaries.push(node.binary);
    return binaries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * The ELF file at `path`, following symlinks in every component (`/bin` → `usr/bin` in merged-/usr
   * images) without leaving the image: `..` stops at the root, absolute targets start from it.
   */
  resolve(path: string): ElfBinary | undefined {
    const pending = path.split("/").filter((part) => part !== "");
    let resolved = "";
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === ".") continue;
      if (part === "..") {
        resolved = resolved === "" ? "" : posix.dirname(resolved).replace(/^\/$/, "");
        continue;
      }
      const candidate = `${resolved}/${part}`;
      const node = this.#nodes.get(candidate);
      if (node?.kind !== "symlink") {
        resolved = candidate;
        continue;
      }
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return undefined;
      pending.unshift(...node.target.split("/").filter((segment) => segment !== ""));
      if (node.target.startsWith("/")) resolved = "";
    }
    const node = this.#nodes.get(resolved === "" ? "/" : resolved);
    return node?.kind === "elf" ? node.binary : undefined;
  }

  #count(path: string, delta: number): void {
    for (let directory = posix.dirname(path); ; directory = posix.dirname(directory)) {
      const count = (this.#descendants.get(directory) ?? 0) + delta;
      if (count === 0) this.#descendants.delete(directory);
      else this.#descendants.set(directory, count);
      if (directory === "/") return;
    }
  }
}
