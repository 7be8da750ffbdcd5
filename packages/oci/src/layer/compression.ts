import type { Transform } from "node:stream";
import * as zlib from "node:zlib";
import { PolyarchError } from "@polyarch/errors";

export type Compression = "gzip" | "zstd" | "none";

/** Bytes `sniffCompression` needs to recognise a compressed stream. */
export const COMPRESSION_MAGIC_BYTES = 4;

/**
 * The compression a layer media type declares: OCI `+gzip`/`+zstd`, Docker's `.tar.gzip`, plain tar.
 * A suffix polyarch cannot read (`+encrypted`, `+bzip2`) is an error rather than a guess.
 * Spec: https://github.com/opencontainers/image-spec/blob/main/layer.md#zstd-media-types
 */
export function compressionOfMediaType(mediaType: string): Compression {
  const type = mediaType.split(";")[0]!.trim().toLowerCase();
  if (type.endsWith("+gzip") || type.endsWith(".tar.gzip")) return "gzip";
  if (type.endsWith("+zstd")) return "zstd";
  const suffix = /\+([^+/]+)$/.exec(type)?.[1];
  if (suffix !== undefined) {
    throw new PolyarchError(
      "POLYARCH_E_LAYER_UNSUPPORTED",
      `layer media type "${mediaType}" uses "+${suffix}", which polyarch cannot read`,
      { hint: "Layers must be tar, tar+gzip or tar+zstd; decrypt or recompress the image first." },
    );
  }
  return "none";
}

/**
 * The compression the first bytes of a blob show. The bytes win over the media type: registries and
 * older tools label uncompressed layers as gzip (and the other way round) often enough to matter.
 */
export function sniffCompression(head: Uint8Array): Compression | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return undefined;
}

/** The parts of `node:zlib` a decompressor needs; a parameter so that a Node without zstd can be tested. */
export interface ZlibFactories {
  createGunzip(): Transform;
  createZstdDecompress?: (() => Transform) | undefined;
}

export function createDecompressor(
  compression: Exclude<Compression, "none">,
  factories: ZlibFactories = zlib,
): Transform {
  if (compression === "gzip") return factories.createGunzip();
  if (factories.createZstdDecompress === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_LAYER_UNSUPPORTED",
      `this Node.js (${process.version}) cannot decompress zstd layers: node:zlib has no createZstdDecompress`,
      { hint: "Run polyarch on Node.js 22.15 or later, or use the gzip variant of the image." },
    );
  }
  return factories.createZstdDecompress();
}
