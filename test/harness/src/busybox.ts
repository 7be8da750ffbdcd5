import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import {
  type Image,
  imageFrom,
  type Layer,
  type ManifestFormat,
  type Platform,
  tarGzLayer,
} from "./fixtures.ts";

export type BusyboxArch = "amd64" | "arm64";

/** ELF `e_machine` values (offset 18, little-endian) for the architectures we test with. */
export const elfMachines: Record<BusyboxArch, number> = { amd64: 0x3e, arm64: 0xb7 };

/** The architecture of this machine's own busybox, for images the host runs natively. */
export function hostBusyboxArch(): BusyboxArch {
  return process.arch === "arm64" ? "arm64" : "amd64";
}

/**
 * Where the real busybox-static binary for `arch` is: the host's own Debian package (/bin/busybox), or
 * the foreign one that .ci/system-packages unpacks under $POLYARCH_FIXTURES_DIR (default
 * /var/cache/polyarch-fixtures).
 */
export function busyboxPath(arch: BusyboxArch): string {
  const fixtures = process.env.POLYARCH_FIXTURES_DIR ?? "/var/cache/polyarch-fixtures";
  const candidates = [join(fixtures, `busybox-static-${arch}`, "bin", "busybox")];
  if (hostBusyboxArch() === arch) candidates.unshift("/bin/busybox");
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `no busybox binary for ${arch} at ${candidates.join(" or ")}; run: bash .ci/system-packages`,
    );
  }
  return found;
}

/** Reads `e_machine` from an ELF header. */
export function elfMachine(bytes: Uint8Array): number {
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes.length < 20) throw new Error("not an ELF file");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt16LE(18);
}

export interface BusyboxImageOptions {
  arch: BusyboxArch;
  /** The platform the config claims; set it to another architecture to build a mislabelled image. */
  labelAs?: Platform;
  /** Where the binary goes in the image. @default "/bin/busybox" */
  path?: string;
  /** Applet symlinks to create beside the binary, e.g. ["sh"]. @default [] */
  applets?: string[];
  /** @default "oci" */
  format?: ManifestFormat;
}

const layers = new Map<string, Promise<Layer>>();

/** A one-layer image holding the real busybox-static binary for `arch`. */
export async function busyboxImage(options: BusyboxImageOptions): Promise<Image> {
  const path = (options.path ?? "/bin/busybox").replace(/^\/+/, "");
  const applets = options.applets ?? [];
  const format = options.format ?? "oci";
  const key = JSON.stringify([options.arch, path, applets, format]);
  let layer = layers.get(key);
  if (layer === undefined) {
    // gzip of a 2 MB binary is the slow part; tests often build the same image several times.
    layer = buildLayer(options.arch, path, applets, format);
    layers.set(key, layer);
    layer.catch(() => layers.delete(key));
  }
  return imageFrom({
    platform: options.labelAs ?? { os: "linux", architecture: options.arch },
    layers: [await layer],
    format,
    cmd: [`/${path}`],
  });
}

async function buildLayer(arch: BusyboxArch, path: string, applets: string[], format: ManifestFormat) {
  const binary = await readFile(busyboxPath(arch));
  if (elfMachine(binary) !== elfMachines[arch]) {
    throw new Error(`${busyboxPath(arch)} is not an ${arch} ELF binary`);
  }
  const dirs = posix.dirname(path).split("/");
  const parents = dirs.map((_, index) => dirs.slice(0, index + 1).join("/")).filter((dir) => dir !== ".");
  const name = posix.basename(path);
  return await tarGzLayer(
    [
      ...parents.map((dir) => ({ path: `${dir}/`, type: "directory" as const })),
      { path, content: binary, mode: 0o755 },
      ...applets.map((applet) => ({
        path: posix.join(posix.dirname(path), applet),
        type: "symlink" as const,
        linkname: name,
      })),
    ],
    format,
  );
}
