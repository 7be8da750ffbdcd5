import { Readable } from "node:stream";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { isPolyarchError } from "@polyarch/errors";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { readLayerTar } from "./read-tar.ts";

const TAR = "application/vnd.oci.image.layer.v1.tar";
const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Reads the layer: each file's content, and the notes the reader gave. */
async function read(bytes: Uint8Array, mediaType: string, chunkSize = 512) {
  const notes: string[] = [];
  const files: Record<string, string> = {};
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) =>
    bytes.subarray(i * chunkSize, (i + 1) * chunkSize),
  );
  for await (const { header, body } of readLayerTar(Readable.from(chunks), mediaType, {
    onNote: (note) => notes.push(note),
  })) {
    const parts: Uint8Array[] = [];
    for await (const chunk of body) parts.push(chunk);
    files[header.name] = Buffer.concat(parts).toString();
  }
  return { files, notes };
}

describe("readLayerTar", () => {
  const files = { "etc/motd": "hello\n", "bin/tool": "x".repeat(5000) };

  it.each([
    ["plain tar", TAR, (b: Buffer) => b],
    ["gzip", GZIP, (b: Buffer) => gzipSync(b)],
    ["zstd", ZSTD, (b: Buffer) => zstdCompressSync(b)],
  ])("reads a %s layer labelled as such, without a note", async (_name, mediaType, compress) => {
    expect(await read(compress(await tarOf(files)), mediaType)).toEqual({ files, notes: [] });
  });

  it.each([
    [
      "labelled gzip, stored plain",
      GZIP,
      (b: Buffer) => b,
      "says gzip-compressed tar, but the bytes are plain tar",
    ],
    [
      "labelled plain, stored gzip",
      TAR,
      (b: Buffer) => gzipSync(b),
      "says plain tar, but the bytes are gzip-compressed tar",
    ],
    [
      "labelled gzip, stored zstd",
      GZIP,
      (b: Buffer) => zstdCompressSync(b),
      "says gzip-compressed tar, but the bytes are zstd-compressed tar",
    ],
  ])("reads a layer %s as its bytes say, with a note", async (_name, mediaType, compress, note) => {
    const result = await read(compress(await tarOf(files)), mediaType);
    expect(result.files).toEqual(files);
    expect(result.notes).toEqual([`the media type ${mediaType} ${note}: read as ${note.split("are ")[1]}`]);
  });

  it("drains an entry the caller does not read, or reads in part", async () => {
    const names: string[] = [];
    const layer = Readable.from([await tarOf({ a: "x".repeat(3000), b: "y".repeat(3000), c: "z" })]);
    for await (const { header, body } of readLayerTar(layer, TAR)) {
      names.push(header.name);
      if (header.name === "b") for await (const _ of body) break;
    }
    expect(names).toEqual(["a", "b", "c"]);
  });

  it("fails a layer cut inside a file with POLYARCH_E_LAYER_CORRUPT, while the caller reads that file", async () => {
    const whole = gzipSync(await tarOf({ big: "q".repeat(200_000) }));
    const error = await read(whole.subarray(0, whole.length / 2), GZIP).catch((caught: unknown) => caught);
    expect(isPolyarchError(error, "POLYARCH_E_LAYER_CORRUPT"), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `layer (${GZIP}, read as gzip-compressed tar) is corrupt or truncated`,
    );
  });
});
