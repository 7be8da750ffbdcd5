import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { isPolyarchError } from "@polyarch/errors";
import { rejection } from "@polyarch/test-harness";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { digestOf } from "../core/digest.ts";
import { MediaType } from "../core/media-types.ts";
import { encodeJson } from "../core/schemas.ts";
import { LayoutStore } from "./store.ts";

const manifestFor = (seed: string) =>
  encodeJson({ schemaVersion: 2, mediaType: MediaType.OciManifest, annotations: { seed } });

/** Makes `path` a symlink to itself: every access fails with ELOOP, an error that is not "missing". */
async function loop(path: string): Promise<void> {
  await symlink(path, path);
}

describe("LayoutStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "polyarch-layout-unit-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps every tag when many stores write one new layout at once", async () => {
    const tags = Array.from({ length: 12 }, (_, i) => `tag-${i}`);
    await Promise.all(
      tags.map((tag) => new LayoutStore(dir).putManifest(manifestFor(tag), MediaType.OciManifest, tag)),
    );
    expect((await new LayoutStore(dir).listTags()).sort()).toEqual([...tags].sort());
  });

  it("serializes stores that name one directory by different paths", async () => {
    await mkdir(join(dir, "layout"));
    const paths = [join(dir, "layout"), join(dir, "layout", "."), `${join(dir, "layout")}/`];
    const tags = Array.from({ length: 9 }, (_, i) => `tag-${i}`);
    await Promise.all(
      tags.map((tag, i) =>
        new LayoutStore(paths[i % paths.length]!).putManifest(manifestFor(tag), MediaType.OciManifest, tag),
      ),
    );
    expect((await new LayoutStore(join(dir, "layout")).listTags()).sort()).toEqual([...tags].sort());
  });

  it("leaves index.json untouched when a tag already points at the manifest", async () => {
    const bytes = manifestFor("same");
    await new LayoutStore(dir).putManifest(bytes, MediaType.OciManifest, "v1");
    const index = join(dir, "index.json");
    // A modification time far in the past: any write, even within the same clock tick, would move it.
    const past = new Date("2001-02-03T04:05:06Z");
    await utimes(index, past, past);
    const before = { bytes: await readFile(index), info: await stat(index) };

    await new LayoutStore(dir).putManifest(bytes, MediaType.OciManifest, "v1");
    const after = await stat(index);
    expect(await readFile(index)).toEqual(before.bytes);
    expect(after.mtime).toEqual(past);
    expect(after.ino).toBe(before.info.ino);
  });

  it("still rewrites the tag when the media type differs", async () => {
    const bytes = manifestFor("media");
    const store = new LayoutStore(dir);
    await store.putManifest(bytes, MediaType.OciManifest, "v1");
    await store.putManifest(bytes, MediaType.DockerManifest, "v1");
    expect(await store.headManifest("v1")).toMatchObject({ mediaType: MediaType.DockerManifest });
  });

  it("reports a corrupt index.json as POLYARCH_E_BAD_LAYOUT naming the file", async () => {
    await new LayoutStore(dir).putManifest(manifestFor("x"), MediaType.OciManifest, "v1");
    await writeFile(join(dir, "index.json"), "{ not json");
    const error = await rejection(new LayoutStore(dir).listTags());
    expect(isPolyarchError(error, "POLYARCH_E_BAD_LAYOUT")).toBe(true);
    expect(error).toMatchObject({ kind: "operation" });
    expect(error.message).toContain(join(dir, "index.json"));
  });

  describe("errors other than a missing file propagate", () => {
    it("from a blob lookup", async () => {
      const store = new LayoutStore(dir);
      await store.putManifest(manifestFor("x"), MediaType.OciManifest, "v1");
      const blob = { digest: digestOf(Buffer.from("blob")), size: 4, mediaType: MediaType.OciLayer };
      await loop(join(dir, "blobs", "sha256", blob.digest.slice("sha256:".length)));
      await expect(store.hasBlob(blob)).rejects.toMatchObject({ code: "ELOOP" });
      await expect(store.getManifest(blob.digest)).rejects.toMatchObject({ code: "ELOOP" });
    });

    it("from a missing-layout check, without replacing index.json", async () => {
      await mkdir(dir, { recursive: true });
      const index = join(dir, "index.json");
      await loop(index);
      const store = new LayoutStore(dir);
      await expect(store.headManifest("v1")).rejects.toMatchObject({ code: "ELOOP" });
      const blob = Buffer.from("blob");
      const ref = { digest: digestOf(blob), size: blob.length, mediaType: MediaType.OciLayer };
      await expect(store.putBlob(ref, async () => Readable.from([blob]))).rejects.toMatchObject({
        code: "ELOOP",
      });
      expect(await readlink(index)).toBe(index);
    });

    it("while a missing blob is still just missing", async () => {
      const store = new LayoutStore(dir);
      await store.putManifest(manifestFor("x"), MediaType.OciManifest, "v1");
      const digest = digestOf(Buffer.from("absent"));
      expect(await store.hasBlob({ digest, size: 6, mediaType: MediaType.OciLayer })).toBe(false);
      expect(await store.headManifest(digest)).toBeUndefined();
    });
  });
});
