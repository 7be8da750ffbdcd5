import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "@polyarch/test-harness";
import { afterEach, beforeEach, expect, test } from "vitest";
import { assembleRoot } from "./assemble.ts";
import type { CachedLayer } from "./cache.ts";

let work: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  work = await tempDir("polyarch-assemble-");
});
afterEach(() => work.remove());

async function layerTree(name: string, files: Record<string, string>, links: Record<string, string> = {}) {
  const tree = join(work.path, name);
  await mkdir(tree, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(tree, path, ".."), { recursive: true });
    if (path.endsWith("/")) await mkdir(join(tree, path), { recursive: true });
    else await writeFile(join(tree, path), content);
  }
  for (const [path, target] of Object.entries(links)) await symlink(target, join(tree, path));
  return tree;
}

test("merges layers bottom first: whiteouts and opaque directories delete below, files are hard links", async () => {
  const lower: CachedLayer = {
    key: "lower",
    tree: await layerTree(
      "lower",
      { "bin/busybox": "bb", "etc/motd": "hi", "var/cache/a": "a", "keep/x": "x" },
      { lib: "usr/lib" },
    ),
    changes: { whiteouts: [], opaques: [], bytes: 0 },
  };
  const upper: CachedLayer = {
    key: "upper",
    tree: await layerTree("upper", { "var/cache/b": "b", "lib/": "", "lib/libc.so": "libc" }),
    changes: { whiteouts: ["etc/motd"], opaques: ["var/cache"], bytes: 0 },
  };
  const tree = join(work.path, "merged");
  await assembleRoot(tree, [lower, upper]);
  expect((await stat(join(tree, "bin/busybox"))).ino).toBe((await stat(join(lower.tree, "bin/busybox"))).ino);
  expect(await readdir(join(tree, "etc"))).toEqual([]);
  expect(await readdir(join(tree, "var/cache"))).toEqual(["b"]);
  expect(await readFile(join(tree, "keep/x"), "utf8")).toBe("x");
  // A directory of an upper layer replaces a symlink below it, as overlayfs shows it.
  expect((await lstat(join(tree, "lib"))).isDirectory()).toBe(true);
  expect(await readdir(join(tree, "lib"))).toEqual(["libc.so"]);
});

test("a whiteout below a symlinked directory deletes nothing outside the tree", async () => {
  const outside = join(work.path, "outside");
  await writeFile(outside, "host");
  const lower: CachedLayer = {
    key: "lower",
    tree: await layerTree("lower", {}, { up: work.path }),
    changes: { whiteouts: [], opaques: [], bytes: 0 },
  };
  const upper: CachedLayer = {
    key: "upper",
    tree: await layerTree("upper", {}),
    changes: { whiteouts: ["up/outside"], opaques: ["up"], bytes: 0 },
  };
  const tree = join(work.path, "merged");
  await assembleRoot(tree, [lower, upper]);
  expect(await readFile(outside, "utf8")).toBe("host");
  expect(await readlink(join(tree, "up"))).toBe(work.path);
});
