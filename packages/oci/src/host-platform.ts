import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { AMD64_LEVELS } from "./amd64-levels/levels.generated.ts";
import { normalizePlatform, type Platform } from "./core/platform.ts";

/**
 * What the machine says about itself: Node's `process.arch`, and /proc/cpuinfo for the ARM variant and
 * the amd64 level.
 */
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
 * An amd64 machine is plain `amd64`, whatever its level: compilers target the baseline unless told.
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

/**
 * The most demanding platform the machine runs natively (pure): `platformOfMachine`, and for amd64 the
 * x86-64 psABI level (v2…v4) its cpuinfo `flags` reach (no variant, v1, below that or when cpuinfo says
 * nothing). containerd leaves amd64 hosts without a level; polyarch reads it so that an index's
 * amd64/v3 child is taken only where it runs (`selectChild`, `runs-on`).
 */
export function runnablePlatformOfMachine(facts: MachineFacts): Platform {
  const platform = platformOfMachine(facts);
  if (platform.architecture !== "amd64") return platform;
  return normalizePlatform({ ...platform, variant: `v${amd64Level(facts.cpuinfo ?? "")}` });
}

/**
 * The highest x86-64 psABI level whose flags, and those of every level below, the first `flags` line of
 * cpuinfo lists (1 when none is). The flag lists are archspec's (amd64-levels/levels.generated.ts).
 */
export function amd64Level(cpuinfo: string): number {
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  let reached = 1;
  for (const { level, flags: needed } of AMD64_LEVELS) {
    if (needed.every((flag) => flags.has(flag))) reached = level;
    else break;
  }
  return reached;
}

/**
 * For tests only: a file read in place of /proc/cpuinfo, so that a test can give any host the CPU of
 * its case (an amd64 level, an ARM variant). Production hosts leave it unset.
 */
export const CPUINFO_OVERRIDE = "POLYARCH_TEST_CPUINFO";

async function machineFacts(env: NodeJS.ProcessEnv): Promise<MachineFacts> {
  const override = env[CPUINFO_OVERRIDE];
  // An override that cannot be read fails the test that set it, rather than passing as a v1 host.
  const cpuinfo = override
    ? await readFile(override, "utf8")
    : process.arch === "arm" || process.arch === "x64"
      ? await readFile("/proc/cpuinfo", "utf8").catch(() => "")
      : "";
  return { arch: process.arch, os: process.platform, cpuinfo, endianness: endianness() };
}

/** This machine's platform, what it builds for (`platformOfMachine`), from the process and cpuinfo. */
export async function detectHostPlatform(env: NodeJS.ProcessEnv = process.env): Promise<Platform> {
  return platformOfMachine(await machineFacts(env));
}

/** What this machine runs natively, its amd64 level included (`runnablePlatformOfMachine`). */
export async function detectRunnablePlatform(env: NodeJS.ProcessEnv = process.env): Promise<Platform> {
  return runnablePlatformOfMachine(await machineFacts(env));
}
