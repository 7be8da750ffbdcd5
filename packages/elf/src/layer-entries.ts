import { posix } from "node:path";
import { type LayerStream, type LayerTarEntry, type ReadLayerOptions, readLayerTar } from "@polyarch/oci";
import { ELF_HEADER_BYTES, type ElfHeader, readElfHeader } from "./header.ts";

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
 * Reads a layer blob entry by entry (oci's `readLayerTar`: the bytes decide the compression), keeping
 * only the first bytes of each regular file (to read its ELF header): memory stays constant whatever
 * the layer's size. Stopping the iteration early (break, return, throw) destroys the caller's stream.
 * Corrupt or truncated blobs fail with POLYARCH_E_LAYER_CORRUPT; an error of the caller's stream itself
 * is rethrown unchanged.
 */
export async function* readLayerEntries(
  stream: LayerStream,
  mediaType: string,
  options: ReadLayerOptions = {},
): AsyncGenerator<LayerEntry> {
  for await (const entry of readLayerTar(stream, mediaType, options)) {
    const event = await readEntry(entry);
    if (event !== undefined) yield event;
  }
}

async function readEntry({ header, body }: LayerTarEntry): Promise<LayerEntry | undefined> {
  const path = normalizeLayerPath(header.name);
  const base = posix.basename(path);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const directory = posix.dirname(path);
    if (base === OPAQUE_MARKER) return { kind: "opaque", path: directory };
    if (base.startsWith(WHITEOUT_META_PREFIX)) return undefined;
    return { kind: "whiteout", path: posix.join(directory, base.slice(WHITEOUT_PREFIX.length)) };
  }
  switch (header.type) {
    case "file":
    case "contiguous-file": {
      const head = await readHead(body, ELF_HEADER_BYTES);
      return { kind: "file", path, size: header.size ?? 0, elf: readElfHeader(head) };
    }
    case "link":
      return { kind: "hardlink", path, target: normalizeLayerPath(header.linkname ?? "") };
    case "symlink":
      return { kind: "symlink", path, target: header.linkname ?? "" };
    case "directory":
      return { kind: "directory", path };
    default:
      return { kind: "other", path };
  }
}

/**
 * Keeps the first `length` bytes of an entry (copied, so no chunk stays referenced) and reads the rest
 * before the entry is reported, so that a consumer holding one entry has it read whole.
 */
async function readHead(body: AsyncIterable<Uint8Array>, length: number): Promise<Uint8Array> {
  const head = new Uint8Array(length);
  let filled = 0;
  for await (const chunk of body) {
    if (filled < length) {
      const take = Math.min(length - filled, chunk.byteLength);
      head.set(chunk.subarray(0, take), filled);
      filled += take;
    }
  }
  return head.subarray(0, filled);
}
