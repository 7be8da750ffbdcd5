import { once } from "node:events";
import { pipeline, Readable, type Transform } from "node:stream";
import { PolyarchError } from "@polyarch/errors";
import type { Extract, extract, Header } from "tar-stream";
import {
  COMPRESSION_MAGIC_BYTES,
  type Compression,
  compressionOfMediaType,
  createDecompressor,
  sniffCompression,
} from "./compression.ts";

/** A layer blob as a web stream (fetch, undici) or a Node stream (files, `http`). */
export type LayerStream = ReadableStream<Uint8Array> | NodeJS.ReadableStream;

/** One tar entry of a layer: its header, and its content (read it, or leave it: the reader drains it). */
export interface LayerTarEntry {
  header: Header;
  body: AsyncIterable<Uint8Array>;
}

export interface ReadLayerOptions {
  /** Told once, before the first entry, when the blob's bytes are not what its media type says. */
  onNote?: (note: string) => void;
}

/**
 * Pre-POSIX (v7) tar headers have no format magic; tar-stream rejects them unless told otherwise.
 * Checksums are still verified. (The option is missing from tar-stream's types.)
 */
const EXTRACT_OPTIONS: Parameters<typeof extract>[0] & { allowUnknownFormat: boolean } = {
  allowUnknownFormat: true,
};

/**
 * Reads a layer blob as tar entries, the one layer reader (the ELF checks and the executor's unpacking
 * both use it). The first bytes decide the compression, whatever the media type says: gzip (1f 8b),
 * zstd (28 b5 2f fd), else plain tar; registries and older tools label plain layers as gzip (and the
 * other way round) often enough to matter, so a disagreement is a note (`onNote`), not a failure. A
 * media type with a suffix polyarch cannot read (`+encrypted`) fails with POLYARCH_E_LAYER_UNSUPPORTED.
 * Streaming: the decompressed bytes go to tar-stream as they arrive, honouring its backpressure, so
 * memory stays constant. Each entry's body is drained when the caller moves on without reading it.
 * Stopping early (break, return, throw) destroys `stream`. Corrupt or truncated blobs fail with
 * POLYARCH_E_LAYER_CORRUPT; an error of `stream` itself is rethrown unchanged.
 */
export async function* readLayerTar(
  stream: LayerStream,
  mediaType: string,
  options: ReadLayerOptions = {},
): AsyncGenerator<LayerTarEntry> {
  // Loaded on first use: only the commands that read layers need the tar parser and its dependencies.
  const { extract: tarExtract } = await import("tar-stream");
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
  const state: PumpState = { declared, compression: declared, decompressor: undefined, mediaType, options };
  const pumping = pump(source, extract, state, abort.signal).catch((error: unknown) => {
    if (!abort.signal.aborted) extract.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    for await (const entry of extract) {
      // tar-stream's entries yield Buffers; its types say `unknown`.
      const body = bodyOf(entry as AsyncIterable<Uint8Array>, (error) => layerError(error, source, state));
      yield { header: entry.header, body };
      // The parser moves on only once an entry has been read to its end.
      for await (const _ of body);
    }
  } catch (error: unknown) {
    throw layerError(error, source, state);
  } finally {
    abort.abort();
    source.close();
    state.decompressor?.destroy();
    extract.destroy();
    await pumping;
  }
}

/**
 * An entry's content, its failures (a truncated blob ends inside a file) reported as the layer's. One
 * iterator over the entry, shared, and never closed early: a caller that stops reading leaves the rest
 * for the reader to drain, which the tar parser needs before it moves on.
 */
function bodyOf(
  entry: AsyncIterable<Uint8Array>,
  failed: (error: unknown) => unknown,
): AsyncIterable<Uint8Array> {
  const chunks = entry[Symbol.asyncIterator]();
  const iterator: AsyncIterator<Uint8Array> = {
    next: () =>
      chunks.next().catch((error: unknown) => {
        throw failed(error);
      }),
    return: async () => ({ done: true, value: undefined }),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** The error a layer read ends with: the caller's stream's own, a PolyarchError, else a corrupt layer. */
function layerError(error: unknown, source: ByteSource, state: PumpState): unknown {
  if (source.failure !== undefined) return source.failure.error;
  if (error instanceof PolyarchError) return error;
  const reading = state.compression === "none" ? "tar" : `${state.compression}-compressed tar`;
  return new PolyarchError(
    "POLYARCH_E_LAYER_CORRUPT",
    `layer (${state.mediaType}, read as ${reading}) is corrupt or truncated: ${errorMessage(error)}`,
    {
      hint: "Check the blob's digest against the manifest and fetch it again; if the registry keeps serving it, rebuild and push the image again.",
      cause: error,
    },
  );
}

interface PumpState {
  declared: Compression;
  compression: Compression;
  decompressor: Transform | undefined;
  mediaType: string;
  options: ReadLayerOptions;
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
  if (state.compression !== state.declared) {
    state.options.onNote?.(
      `the media type ${state.mediaType} says ${describe(state.declared)}, but the bytes are ${describe(state.compression)}: read as ${describe(state.compression)}`,
    );
  }
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

function describe(compression: Compression): string {
  return compression === "none" ? "plain tar" : `${compression}-compressed tar`;
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
