import { once } from "node:events";
import { posix } from "node:path";
import { pipeline, Readable, type Transform } from "node:stream";
import { PolyarchError } from "@polyarch/oci";
import { type Extract, type Header, extract as tarExtract } from "tar-stream";
import {
  COMPRESSION_MAGIC_BYTES,
  type Compression,
  compressionOfMediaType,
  createDecompressor,
  sniffCompression,
} from "./compression.ts";
import { ELF_HEADER_BYTES, type ElfHeader, readElfHeader } from "./header.ts";

/** A layer blob as a web stream (fetch, undici) or a Node stream (files, `http`). */
export type LayerStream = ReadableStream<Uint8Array> | NodeJS.ReadableStream;

/**
 * What one tar entry does to the image's filesystem. Paths are absolute and normalised (`/usr/bin/x`).
 * Whiteouts: https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
export type LayerEntry =
  | { kind: "file"; path: string; size: number; elf: ElfHeader | undefined }
  | { kind: "hardlink"; path: string; target: string }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "directory"; path: string }
  | { kind: "other"; path: string }
  /** `path` is deleted from the layers below. */
  | { kind: "whiteout"; path: string }
  /** Everything under the directory `path` in the layers below is hidden. */
  | { kind: "opaque"; path: string };

/**
 * Pre-POSIX (v7) tar headers have no format magic; tar-stream rejects them unless told otherwise.
 * Checksums are still verified. (The option is missing from tar-stream's types.)
 */
const EXTRACT_OPTIONS: Parameters<typeof tarExtract>[0] & { allowUnknownFormat: boolean } = {
  allowUnknownFormat: true,
};

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";
/** AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not whiteouts of real files. */
const WHITEOUT_META_PREFIX = ".wh..wh.";

/** `./usr/bin/x`, `usr/bin/x/`, `/usr/../usr/bin/x` → `/usr/bin/x`; `..` never climbs above the root. */
export function normalizeLayerPath(name: string): string {
  const path = posix.normalize(`/${name}`);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * Reads a layer blob entry by entry, decompressing as the bytes arrive: memory stays constant whatever
 * the layer's size, because only the first bytes of each regular file are kept (to read its ELF
 * header) and the rest is drained. Stopping the iteration early (break, return, throw) destroys the
 * caller's stream. Corrupt or truncated blobs fail with POLYARCH_E_LAYER_CORRUPT; an error of the
 * caller's stream itself is rethrown unchanged.
 */
export async function* readLayerEntries(stream: LayerStream, mediaType: string): AsyncGenerator<LayerEntry> {
  const source = new ByteSource(stream);
  let declared: Compression;
  try {
    declared = compressionOfMediaType(mediaType);
  } catch (error: unknown) {
    source.close();
    throw error;
  }
  const extract = tarExtract(EXTRACT_OPTIONS);
  const abort = new AbortController();
  const state: PumpState = { compression: declared, decompressor: undefined };
  const pumping = pump(source, extract, state, abort.signal).catch((error: unknown) => {
    if (!abort.signal.aborted) extract.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    for await (const entry of extract) {
      const event = await readEntry(entry);
      if (event !== undefined) yield event;
    }
  } catch (error: unknown) {
    if (source.failure !== undefined) throw source.failure.error;
    if (error instanceof PolyarchError) throw error;
    const reading = state.compression === "none" ? "tar" : `${state.compression}-compressed tar`;
    throw new PolyarchError(
      "POLYARCH_E_LAYER_CORRUPT",
      `layer (${mediaType}, read as ${reading}) is corrupt or truncated: ${errorMessage(error)}`,
      {
        hint: "Check the blob's digest against the manifest and fetch it again; if the registry keeps serving it, rebuild and push the image again.",
        cause: error,
      },
    );
  } finally {
    abort.abort();
    source.close();
    state.decompressor?.destroy();
    extract.destroy();
    await pumping;
  }
}

async function readEntry(
  entry: { header: Header } & AsyncIterable<unknown>,
): Promise<LayerEntry | undefined> {
  const { header } = entry;
  const path = normalizeLayerPath(header.name);
  const base = posix.basename(path);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    await readHead(entry, 0);
    const directory = posix.dirname(path);
    if (base === OPAQUE_MARKER) return { kind: "opaque", path: directory };
    if (base.startsWith(WHITEOUT_META_PREFIX)) return undefined;
    return { kind: "whiteout", path: posix.join(directory, base.slice(WHITEOUT_PREFIX.length)) };
  }
  switch (header.type) {
    case "file":
    case "contiguous-file": {
      const head = await readHead(entry, ELF_HEADER_BYTES);
      return { kind: "file", path, size: header.size ?? 0, elf: readElfHeader(head) };
    }
    case "link":
      await readHead(entry, 0);
      return { kind: "hardlink", path, target: normalizeLayerPath(header.linkname ?? "") };
    case "symlink":
      await readHead(entry, 0);
      return { kind: "symlink", path, target: header.linkname ?? "" };
    case "directory":
      await readHead(entry, 0);
      return { kind: "directory", path };
    default:
      await readHead(entry, 0);
      return { kind: "other", path };
  }
}

/**
 * Keeps the first `length` bytes of an entry (copied, so no chunk stays referenced) and drains the
 * rest: the tar parser only moves on once an entry has been read to its end.
 */
async function readHead(entry: AsyncIterable<unknown>, length: number): Promise<Uint8Array> {
  const head = new Uint8Array(length);
  let filled = 0;
  // tar-stream's entries yield Buffers; its types say `unknown`.
  for await (const chunk of entry as AsyncIterable<Uint8Array>) {
    if (filled < length) {
      const take = Math.min(length - filled, chunk.byteLength);
      head.set(chunk.subarray(0, take), filled);
      filled += take;
    }
  }
  return head.subarray(0, filled);
}

interface PumpState {
  compression: Compression;
  decompressor: Transform | undefined;
}

/** Feeds the (decompressed) bytes into the tar parser, honouring its backpressure. */
async function pump(source: ByteSource, extract: Extract, state: PumpState, signal: AbortSignal) {
  const head: Uint8Array[] = [];
  let headLength = 0;
  while (headLength < COMPRESSION_MAGIC_BYTES) {
    const chunk = await source.read();
    if (chunk === undefined) break;
    head.push(chunk);
    headLength += chunk.byteLength;
  }
  state.compression = sniffCompression(Buffer.concat(head)) ?? "none";
  const raw = (async function* () {
    yield* head;
    for (let chunk = await source.read(); chunk !== undefined; chunk = await source.read()) yield chunk;
  })();
  let tarBytes: AsyncIterable<Uint8Array> = raw;
  if (state.compression !== "none") {
    state.decompressor = createDecompressor(state.compression);
    // Errors reach the consumer through the last stream; the callback only keeps them from going unhandled.
    tarBytes = pipeline(Readable.from(raw, { objectMode: false }), state.decompressor, () => {});
  }
  for await (const chunk of tarBytes) {
    if (signal.aborted) return;
    if (!extract.write(chunk)) await once(extract, "drain", { signal });
  }
  // streamx declares end(data) with a required argument; undefined ends without writing.
  extract.end(undefined);
}

/** The caller's stream, read chunk by chunk, remembering whether it failed on its own. */
class ByteSource {
  readonly #read: () => Promise<Uint8Array | undefined>;
  readonly #close: () => void;
  #closed = false;
  failure: { error: unknown } | undefined;

  constructor(stream: LayerStream) {
    if (isWebStream(stream)) {
      const reader = stream.getReader();
      this.#read = async () => {
        const result = await reader.read();
        return result.done ? undefined : result.value;
      };
      this.#close = () => {
        reader.cancel().catch(() => {});
      };
    } else {
      const readable = stream instanceof Readable ? stream : new Readable().wrap(stream);
      const iterator: AsyncIterator<Uint8Array> = readable[Symbol.asyncIterator]();
      this.#read = async () => {
        const result = await iterator.next();
        return result.done ? undefined : result.value;
      };
      this.#close = () => {
        readable.destroy();
      };
    }
  }

  async read(): Promise<Uint8Array | undefined> {
    try {
      return await this.#read();
    } catch (error: unknown) {
      if (!this.#closed) this.failure ??= { error };
      throw error;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#close();
  }
}

function isWebStream(stream: LayerStream): stream is ReadableStream<Uint8Array> {
  return typeof (stream as Partial<ReadableStream>).getReader === "function";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
