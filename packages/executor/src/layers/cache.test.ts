import { readdir, readFile, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { tempDir } from "@polyarch/test-harness";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { cacheKey, ImageCache, type LayerSource } from "./cache.ts";

let work: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  work = await tempDir("polyarch-cache-");
});
afterEach(() => work.remove());

/** A gzip layer with one file of `size` bytes, named by `digest`'s first characters. */
function source(digest: string, size: number, opened: { count: number }): LayerSource {
  return {
    digest: `sha256:${digest.padEnd(64, "0")}`,
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    open: async () => {
      opened.count += 1;
      const pack = tar.pack();
      pack.entry({ name: `${digest}.bin` }, Buffer.alloc(size, 1));
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const chunk of pack) chunks.push(chunk as Buffer);
      return Readable.from([gzipSync(Buffer.concat(chunks))]);
    },
  };
}

describe("ImageCache", () => {
  test("unpacks a layer once, whoever asks, also when several ask at the same time", async () => {
    const cache = new ImageCache(work.path);
    const opened = { count: 0 };
    const results = await Promise.all([1, 2, 3].map(() => cache.layer(source("aa", 10, opened), "layer aa")));
    expect(opened.count).toBe(1);
    expect(results.filter((result) => result.unpacked)).toHaveLength(1);
    // Keyed by digest, marked as unpacked with its owners recorded (entries from before lack them).
    expect(await readdir(join(work.path, "layers"))).toEqual([`sha256-${"aa".padEnd(64, "0")}-owners`]);
    expect(await readFile(join(results[0]?.layer.tree as string, "aa.bin"))).toHaveLength(10);
  });

  test("a layer that fails to unpack leaves no entry and no scratch directory", async () => {
    const cache = new ImageCache(work.path);
    const broken: LayerSource = {
      ...source("bb", 10, { count: 0 }),
      open: async () => Readable.from([Buffer.from("not gzip")]),
    };
    await expect(cache.layer(broken, "layer bb")).rejects.toThrow();
    expect(await readdir(join(work.path, "layers"))).toEqual([]);
  });

  test("evicts least recently used roots and layers until the layers fit, keeping what jobs use", async () => {
    const cache = new ImageCache(work.path);
    const opened = { count: 0 };
    const old = (await cache.layer(source("01", 1000, opened), "old")).layer;
    const used = (await cache.layer(source("02", 1000, opened), "used")).layer;
    const recent = (await cache.layer(source("03", 1000, opened), "recent")).layer;
    const oldRoot = (await cache.root(`sha256:${"d1".padEnd(64, "0")}`, [old])).tree;
    await cache.root(`sha256:${"d2".padEnd(64, "0")}`, [used]);
    await cache.root(`sha256:${"d3".padEnd(64, "0")}`, [recent]);
    const past = new Date(Date.now() - 3600_000);
    for (const dir of [join(oldRoot, ".."), join(old.tree, ".."), join(used.tree, "..")])
      await utimes(dir, past, past);
    const evicted = await cache.evict(2000, new Set([cacheKey(`sha256:${"d2".padEnd(64, "0")}`)]));
    expect(evicted).toEqual([`roots/${cacheKey(`sha256:${"d1".padEnd(64, "0")}`)}`, `layers/${old.key}`]);
    expect((await readdir(join(work.path, "layers"))).sort()).toEqual([used.key, recent.key].sort());
    await expect(stat(oldRoot)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
