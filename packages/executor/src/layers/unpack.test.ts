import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { isPolyarchError } from "@polyarch/errors";
import { tempDir } from "@polyarch/test-harness";
import tar from "tar-stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { unpackLayer } from "./unpack.ts";

type Entry = { header: Partial<tar.Header> & { name: string }; content?: string };

/** A layer tar made by code, hostile or not: every header field as given; gzipped unless `plain`. */
async function layer(entries: Entry[], { plain = false } = {}): Promise<Readable> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const written = (error?: Error | null) => (error ? reject(error) : resolve());
      if (entry.content !== undefined) pack.entry(entry.header, entry.content, written);
      else pack.entry(entry.header, written);
    });
  }
  pack.finalize();
  await done;
  const archive = Buffer.concat(chunks);
  return Readable.from([plain ? archive : gzipSync(archive)]);
}

const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
let work: Awaited<ReturnType<typeof tempDir>>;
let root: string;

beforeEach(async () => {
  work = await tempDir("polyarch-unpack-");
  root = join(work.path, "root");
  await mkdir(root);
});
afterEach(() => work.remove());

/** Everything under the work dir except the layer's root: must stay empty whatever the layer did. */
async function outside(): Promise<string[]> {
  return (await readdir(work.path)).filter((name) => name !== "root");
}

describe("unpackLayer", () => {
  test("writes files, directories, symlinks and hard links, and records whiteouts and opaque directories", async () => {
    const changes = await unpackLayer(
      await layer([
        { header: { name: "bin/", type: "directory", mode: 0o755 } },
        { header: { name: "bin/busybox", type: "file", mode: 0o4755 }, content: "binary" },
        { header: { name: "bin/sh", type: "symlink", linkname: "busybox" } },
        { header: { name: "bin/ash", type: "link", linkname: "bin/busybox" } },
        { header: { name: "etc/.wh.motd", type: "file" }, content: "" },
        { header: { name: "var/.wh..wh..opq", type: "file" }, content: "" },
      ]),
      GZIP,
      root,
      "test layer",
    );
    expect(changes).toEqual({ whiteouts: ["etc/motd"], opaques: ["var"], bytes: 6 });
    expect(await readFile(join(root, "bin/busybox"), "utf8")).toBe("binary");
    expect((await stat(join(root, "bin/busybox"))).mode & 0o7777).toBe(0o755);
    expect(await readlink(join(root, "bin/sh"))).toBe("busybox");
    expect((await stat(join(root, "bin/ash"))).ino).toBe((await stat(join(root, "bin/busybox"))).ino);
    expect(await readdir(root)).toEqual(["bin"]);
  });

  const hostile: Array<[string, Entry[]]> = [
    ["a ../ name", [{ header: { name: "../escaped", type: "file" }, content: "x" }]],
    ["an absolute name", [{ header: { name: `${"/"}tmp/escaped`, type: "file" }, content: "x" }]],
    ["a symlink climbing out", [{ header: { name: "link", type: "symlink", linkname: "../" } }]],
    [
      "a write through an absolute symlink",
      [
        { header: { name: "link", type: "symlink", linkname: "/" } },
        { header: { name: "link/escaped", type: "file" }, content: "x" },
      ],
    ],
    [
      "a write through a relative symlink to a sibling",
      [
        { header: { name: "dir/", type: "directory" } },
        { header: { name: "dir/link", type: "symlink", linkname: ".." } },
        { header: { name: "dir/link/escaped", type: "file" }, content: "x" },
      ],
    ],
    [
      "a hard link out of the root",
      [{ header: { name: "escaped", type: "link", linkname: "../outside-file" } }],
    ],
    [
      "a hard link through a symlink that replaced its directory",
      [
        { header: { name: "d/", type: "directory" } },
        { header: { name: "d/f", type: "file" }, content: "x" },
        { header: { name: "d", type: "symlink", linkname: "/" } },
        { header: { name: "escaped", type: "link", linkname: "d/f" } },
      ],
    ],
    [
      "a character device",
      [{ header: { name: "null", type: "character-device", devmajor: 1, devminor: 3 } }],
    ],
    ["a block device", [{ header: { name: "sda", type: "block-device", devmajor: 8, devminor: 0 } }]],
  ];

  test.each(hostile)(
    "refuses %s with POLYARCH_E_LAYER_UNSAFE and writes nothing outside its root",
    async (_, entries) => {
      await writeFile(join(work.path, "outside-file"), "host file");
      const unpacking = unpackLayer(await layer(entries), GZIP, root, "hostile layer");
      await expect(unpacking).rejects.toSatisfy((error: unknown) =>
        isPolyarchError(error, "POLYARCH_E_LAYER_UNSAFE"),
      );
      expect(await outside()).toEqual(["outside-file"]);
      expect(await readFile(join(work.path, "outside-file"), "utf8")).toBe("host file");
      expect((await lstat(join(work.path, "outside-file"))).nlink).toBe(1);
    },
  );

  test("a layer labelled gzip but stored as plain tar is unpacked as its bytes say, with a note", async () => {
    const entries = [{ header: { name: "etc/motd", type: "file" as const }, content: "plain\n" }];
    const changes = await unpackLayer(await layer(entries, { plain: true }), GZIP, root, "mislabelled layer");
    expect(await readFile(join(root, "etc/motd"), "utf8")).toBe("plain\n");
    expect(changes.notes).toEqual([
      `the media type ${GZIP} says gzip-compressed tar, but the bytes are plain tar: read as plain tar`,
    ]);
    await mkdir(join(work.path, "honest"));
    const honest = await unpackLayer(await layer(entries), GZIP, join(work.path, "honest"), "honest layer");
    expect(honest.notes).toBeUndefined();
  });

  test("a truncated layer fails with POLYARCH_E_LAYER_CORRUPT", async () => {
    const whole = Buffer.concat(
      await (await layer([{ header: { name: "f", type: "file" }, content: "x".repeat(5000) }])).toArray(),
    );
    const truncated = Readable.from([whole.subarray(0, whole.length / 2)]);
    await expect(unpackLayer(truncated, GZIP, root, "truncated layer")).rejects.toSatisfy((error: unknown) =>
      isPolyarchError(error, "POLYARCH_E_LAYER_CORRUPT"),
    );
  });

  test("a layer replacing a file by a directory and back leaves the last one", async () => {
    await unpackLayer(
      await layer([
        { header: { name: "x", type: "file" }, content: "file" },
        { header: { name: "x/", type: "directory" } },
        { header: { name: "x/inner", type: "file" }, content: "inner" },
      ]),
      GZIP,
      root,
      "layer",
    );
    expect(await readFile(join(root, "x/inner"), "utf8")).toBe("inner");
  });

  test("records the tar's owner of each entry that is not 0:0, the last entry at a path winning", async () => {
    const changes = await unpackLayer(
      await layer([
        { header: { name: "home/", type: "directory", uid: 0, gid: 0 } },
        { header: { name: "home/app/", type: "directory", uid: 1000, gid: 1000 } },
        { header: { name: "home/app/notes", type: "file", uid: 1000, gid: 100 }, content: "x" },
        { header: { name: "etc/shadow", type: "file", uid: 0, gid: 42 }, content: "" },
        { header: { name: "bin/sh", type: "symlink", linkname: "busybox", uid: 7, gid: 7 } },
        { header: { name: "bin/sh", type: "symlink", linkname: "busybox", uid: 0, gid: 0 } },
      ]),
      GZIP,
      root,
      "owned layer",
    );
    expect(changes.owners).toEqual({
      "home/app": [1000, 1000],
      "home/app/notes": [1000, 100],
      "etc/shadow": [0, 42],
    });
    // The files themselves stay the unpacking user's: owners are given back in the job's namespace.
    expect((await lstat(join(root, "home/app/notes"))).uid).toBe(process.getuid?.());
  });

  test("a non-directory replacing a directory drops the owners recorded below it", async () => {
    const changes = await unpackLayer(
      await layer([
        { header: { name: "d/", type: "directory", uid: 5, gid: 5 } },
        { header: { name: "d/f", type: "file", uid: 5, gid: 5 }, content: "x" },
        { header: { name: "d", type: "symlink", linkname: "/etc", uid: 6, gid: 6 } },
      ]),
      GZIP,
      root,
      "replacing layer",
    );
    expect(changes.owners).toEqual({ d: [6, 6] });
  });

  test("an owner above 65535 belongs to 0 instead, with a note naming the entry and the id", async () => {
    const changes = await unpackLayer(
      await layer([{ header: { name: "big", type: "file", uid: 70000, gid: 1000 }, content: "x" }]),
      GZIP,
      root,
      "wide layer",
    );
    expect(changes.owners).toEqual({ big: [0, 1000] });
    expect(changes.notes).toEqual([
      "big is owned by id 70000, above the 65535 a job maps: it belongs to 0 instead",
    ]);
  });
});
