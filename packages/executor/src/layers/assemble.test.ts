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

test("returns each merged path's owner from the layer that placed it; with ownedCopies, owned files are copies", async () => {
  const lower: CachedLayer = {
    key: "lower",
    tree: await layerTree("lower", {
      "home/app/notes": "n",
      "etc/passwd": "p",
      "srv/gone": "g",
      "var/x/y": "y",
    }),
    changes: {
      whiteouts: [],
      opaques: [],
      bytes: 0,
      owners: {
        "home/app": [1000, 1000],
        "home/app/notes": [1000, 1000],
        "etc/passwd": [5, 5],
        "srv/gone": [7, 7],
        "var/x/y": [8, 8],
      },
    },
  };
  const upper: CachedLayer = {
    key: "upper",
    tree: await layerTree("upper", { "etc/passwd": "root's now", "var/x/": "" }),
    changes: { whiteouts: ["srv/gone"], opaques: ["var/x"], bytes: 0 },
  };
  const tree = join(work.path, "root");
  const owners = await assembleRoot(tree, [lower, upper], { ownedCopies: true });
  expect(owners).toEqual({ "home/app": [1000, 1000], "home/app/notes": [1000, 1000] });
  // The owned file is a copy (its owner given back must not reach the layer's file); others stay links.
  expect((await stat(join(tree, "home/app/notes"))).ino).not.toBe(
    (await stat(join(lower.tree, "home/app/notes"))).ino,
  );
  expect(await readFile(join(tree, "home/app/notes"), "utf8")).toBe("n");
  expect((await stat(join(tree, "etc/passwd"))).ino).toBe((await stat(join(upper.tree, "etc/passwd"))).ino);
  const linked = join(work.path, "linked");
  await assembleRoot(linked, [lower]);
  expect((await stat(join(linked, "home/app/notes"))).ino).toBe(
    (await stat(join(lower.tree, "home/app/notes"))).ino,
  );
});
