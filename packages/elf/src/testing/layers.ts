/**
 * Layer fixtures for this package's tests: real busybox binaries, tar layers built in memory, and
 * layers generated on demand for streaming tests. Excluded from the build.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { busyboxPath } from "@polyarch/test-harness";
import { pack } from "tar-stream";
import type { LayerSource } from "../verify.ts";

export const MEDIA_TYPES = {
  tar: "application/vnd.oci.image.layer.v1.tar",
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/**
 * The real, statically linked busybox for an architecture, where the test harness keeps it
 * (.ci/system-packages installs it). A missing binary fails the test: these tests exist to prove the
 * architecture is read from real bytes, so skipping them would hide a gap.
 */
export async function readBusybox(architecture: "amd64" | "arm64"): Promise<Uint8Array> {
  return new Uint8Array(await readFile(busyboxPath(architecture)));
}

/** A minimal ELF header (64 bytes) for machines there is no real binary of here. */
export function elfHeaderBytes(fields: {
  class: 32 | 64;
  endianness: "little" | "big";
  machine: number;
  type?: number;
  flags?: number;
}): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, fields.class === 64 ? 2 : 1, fields.endianness === "little" ? 1 : 2, 1]);
  const view = new DataView(bytes.buffer);
  const little = fields.endianness === "little";
  view.setUint16(16, fields.type ?? 2, little);
  view.setUint16(18, fields.machine, little);
  view.setUint32(20, 1, little);
  view.setUint32(fields.class === 64 ? 0x30 : 0x24, fields.flags ?? 0, little);
  return bytes;
}

export interface TarFixtureEntry {
  path: string;
  data?: Uint8Array | string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo";
  linkname?: string;
}

const END_OF_ARCHIVE_BYTES = 1024;

/** A tar archive of `entries`; without its end-of-archive blocks when more is to follow. */
export async function tarBytes(
  entries: readonly TarFixtureEntry[],
  options = { end: true },
): Promise<Uint8Array> {
  const archive = pack();
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const header = { name: entry.path, type, mode: 0o755, linkname: entry.linkname };
    if (type === "file")
      archive.entry(header, typeof entry.data === "string" ? entry.data : (entry.data ?? ""));
    else archive.entry(header);
  }
  archive.finalize();
  const chunks: Uint8Array[] = [];
  for await (const chunk of archive) chunks.push(chunk as Uint8Array);
  const bytes = Buffer.concat(chunks);
  return options.end ? bytes : bytes.subarray(0, bytes.length - END_OF_ARCHIVE_BYTES);
}

export async function layerBytes(
  entries: readonly TarFixtureEntry[],
  compression: "none" | "gzip" | "zstd",
): Promise<Uint8Array> {
  const tar = await tarBytes(entries);
  if (compression === "gzip") return gzipSync(tar);
  if (compression === "zstd") return zstdCompressSync(tar);
  return tar;
}

/** `bytes` as a web stream, in chunks the way a registry response arrives. */
export function webStream(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

export function nodeStream(bytes: Uint8Array, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize)
        yield bytes.slice(offset, offset + chunkSize);
    })(),
    { objectMode: false },
  );
}

/** A layer for `verifyBinaries` that records when it is opened. */
export function layerSource(
  bytes: Uint8Array,
  mediaType: string,
  log: string[] = [],
  name = "layer",
): LayerSource {
  return {
    mediaType,
    digest: `sha256:${name}`,
    async open() {
      log.push(`open ${name}`);
      return webStream(bytes);
    },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A ustar header block, for entries too big to build in memory. Sizes must be below 8 GiB. */
export function ustarHeader(name: string, size: number): Uint8Array {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100);
  block.write("0000644\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  block.write("00000000000\0", 136);
  block.write("        ", 148);
  block.write("0", 156);
  block.write("ustar\0", 257);
  block.write("00", 263);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}

/** A layer whose big file is generated while it is read, counting the bytes the reader pulled. */
export interface GeneratedLayer {
  readonly pulled: number;
  readonly cancelled: boolean;
  /**
   * With `gzip`, every chunk is its own gzip member (a stream of concatenated members is one valid
   * gzip stream): the compressor then holds nothing back, unlike CompressionStream, which reads
   * megabytes ahead of an idle consumer and would blur what these tests measure.
   */
  web(options?: { gzip?: boolean }): ReadableStream<Uint8Array>;
  node(): Readable;
}

/**
 * `before` (a tar without its end blocks), then a file of `size` bytes of incompressible data made on
 * demand, then `after` (a complete tar, or nothing: an archive that ends mid-file when `size` is
 * never reached).
 */
export function generatedLayer(options: {
  before: Uint8Array;
  path: string;
  size: number;
  after?: Uint8Array;
}): GeneratedLayer {
  const block = new Uint8Array(1024 * 1024);
  // Pseudo-random bytes: gzip cannot shrink them, so compressed and plain sizes stay alike.
  let seed = 0x9e3779b9;
  for (let index = 0; index < block.length; index++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    block[index] = seed >>> 24;
  }
  let pulled = 0;
  let cancelled = false;
  // Registry responses arrive in chunks of tens of KiB; every stage of a pipeline may hold one.
  const chunkSize = 64 * 1024;
  function* split(bytes: Uint8Array): Generator<Uint8Array> {
    for (let offset = 0; offset < bytes.length; offset += chunkSize)
      yield bytes.subarray(offset, offset + chunkSize);
  }
  function* chunks(): Generator<Uint8Array> {
    yield* split(options.before);
    yield ustarHeader(options.path, options.size);
    for (let offset = 0; offset < options.size; offset += chunkSize) {
      const start = offset % block.length;
      yield block.subarray(start, start + Math.min(chunkSize, options.size - offset));
    }
    yield new Uint8Array((512 - (options.size % 512)) % 512);
    if (options.after !== undefined) yield* split(options.after);
  }
  return {
    get pulled() {
      return pulled;
    },
    get cancelled() {
      return cancelled;
    },
    web({ gzip = false } = {}) {
      const iterator = chunks();
      return new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const next = iterator.next();
            if (next.done === true) {
              controller.close();
              return;
            }
            pulled += next.value.byteLength;
            controller.enqueue(gzip ? gzipSync(next.value, { level: 1 }) : next.value);
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      );
    },
    node() {
      const iterator = chunks();
      return new Readable({
        read() {
          const next = iterator.next();
          if (next.done === true) {
            this.push(null);
            return;
          }
          pulled += next.value.byteLength;
          this.push(next.value);
        },
        destroy(error, callback) {
          cancelled = true;
          callback(error);
        },
      });
    },
  };
}
