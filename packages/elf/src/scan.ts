import type { LayerStream } from "@polyarch/oci";
import type { ElfHeader } from "./header.ts";
import { normalizeLayerPath, readLayerEntries } from "./layer-entries.ts";
import { type ElfPlatform, machineName, platformOfElf } from "./machines.ts";

/** An ELF executable or shared object found in a layer. */
export interface ElfBinary {
  /** Absolute path in the image (`/usr/bin/gitlab-runner-helper`). */
  path: string;
  /** Size in bytes, from the tar header. */
  size: number;
  /** `e_machine`. */
  machine: number;
  platform: ElfPlatform;
  /** The machine's human name (`x86-64`, `AArch64`), for messages. */
  name: string;
  header: ElfHeader;
  /** Index of the layer the file is in, when read as part of an image (0 = bottom). */
  layer?: number;
}

export interface ScanLayerOptions {
  /** The layer descriptor's media type; the blob's first bytes win when they show another compression. */
  mediaType: string;
  /**
   * Only report these paths (`/usr/bin/x` and `./usr/bin/x` are the same path), and stop reading the
   * layer once every one of them has been seen. Symlinks are not followed: `verifyBinaries` does that
   * across all of an image's layers.
   */
  paths?: readonly string[];
  /** Stop after reporting this many binaries. @default Infinity */
  limit?: number;
}

/** ELF types that run: executables and shared objects (PIE executables are `dyn` too). */
export function isRunnableElf(header: ElfHeader): boolean {
  return header.type === "exec" || header.type === "dyn";
}

export function elfBinary(path: string, size: number, header: ElfHeader): ElfBinary {
  return {
    path,
    size,
    machine: header.machine,
    platform: platformOfElf(header),
    name: machineName(header),
    header,
  };
}

/**
 * Lists the ELF executables and shared objects in one layer blob (tar, gzip or zstd), streaming: only
 * the first 64 bytes of each file are kept. A hardlink to an ELF file in the same layer is reported
 * under the link's path. Object files and core dumps are not reported. Stopping early (break, `limit`,
 * every one of `paths` seen) destroys `stream`.
 */
export async function* scanLayer(stream: LayerStream, options: ScanLayerOptions): AsyncGenerator<ElfBinary> {
  const wanted = options.paths === undefined ? undefined : new Set(options.paths.map(normalizeLayerPath));
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  // Every runnable ELF file so far, for resolving hardlinks whose target is not among `paths`.
  const binaries = new Map<string, ElfBinary>();
  let reported = 0;

  for await (const entry of readLayerEntries(stream, options.mediaType)) {
    if (reported >= limit) return;
    if (entry.kind === "whiteout" || entry.kind === "opaque") continue;

    let binary: ElfBinary | undefined;
    if (entry.kind === "file" && entry.elf !== undefined && isRunnableElf(entry.elf)) {
      binary = elfBinary(entry.path, entry.size, entry.elf);
    } else if (entry.kind === "hardlink") {
      const target = binaries.get(entry.target);
      binary = target === undefined ? undefined : { ...target, path: entry.path };
    }
    if (binary === undefined) binaries.delete(entry.path);
    else binaries.set(entry.path, binary);

    if (wanted !== undefined) {
      if (!wanted.has(entry.path)) continue;
      seen.add(entry.path);
    }
    if (binary !== undefined) {
      yield binary;
      reported += 1;
    }
    if (reported >= limit || (wanted !== undefined && seen.size === wanted.size)) return;
  }
}
