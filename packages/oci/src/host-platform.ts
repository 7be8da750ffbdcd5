import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { normalizePlatform, type Platform } from "./core/platform.ts";

/** What the machine says about itself: Node's `process.arch`, and /proc/cpuinfo for the ARM variant. */
export interface MachineFacts {
  /** `process.arch`: x64, arm64, arm, ppc64, s390x, riscv64, ia32. */
  arch: string;
  /** `process.platform`: linux. */
  os: string;
  /** The text of /proc/cpuinfo, when readable. */
  cpuinfo?: string;
  /** `os.endianness()`: ppc64 is ppc64le only when little-endian. */
  endianness?: "LE" | "BE";
}

const NODE_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };

/**
 * The platform a build runs natively on (pure): Node's architecture in Go's words, and for 32-bit ARM
 * the variant from cpuinfo's `CPU architecture` (6 or 7; an ARMv8 core running 32-bit code is v8).
 */
export function platformOfMachine(facts: MachineFacts): Platform {
  let architecture = NODE_ARCH[facts.arch] ?? facts.arch;
  if (architecture === "ppc64" && facts.endianness !== "BE") architecture = "ppc64le";
  const platform: Platform = { os: facts.os === "win32" ? "windows" : facts.os, architecture };
  if (architecture === "arm") {
    const level = /^CPU architecture\s*:\s*(\d+)/m.exec(facts.cpuinfo ?? "")?.[1];
    if (level !== undefined) platform.variant = `v${Math.min(Number(level), 8)}`;
  }
  return normalizePlatform(platform);
}

/** This machine's platform, read from the running process and /proc/cpuinfo. */
export async function detectHostPlatform(): Promise<Platform> {
  const cpuinfo = process.arch === "arm" ? await readFile("/proc/cpuinfo", "utf8").catch(() => "") : "";
  return platformOfMachine({ arch: process.arch, os: process.platform, cpuinfo, endianness: endianness() });
}

/** QEMU's names for Go's architectures, as qemu-user-static registers its binfmt_misc handlers. */
const QEMU_NAMES: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  arm: "arm",
  "386": "i386",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** The binfmt_misc handler that runs `architecture`'s binaries through QEMU (`arm64` → `qemu-aarch64`). */
export function qemuHandlerName(architecture: string): string {
  return `qemu-${QEMU_NAMES[architecture] ?? architecture}`;
}

/** The architecture a QEMU binfmt_misc handler runs (`qemu-aarch64` → `arm64`), or undefined for others. */
export function architectureOfQemuHandler(name: string): string | undefined {
  return Object.keys(QEMU_NAMES).find((architecture) => qemuHandlerName(architecture) === name);
}
