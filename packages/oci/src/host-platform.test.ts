import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  amd64Level,
  detectHostPlatform,
  detectRunnablePlatform,
  platformOfMachine,
  runnablePlatformOfMachine,
} from "./host-platform.ts";

describe("platformOfMachine", () => {
  it("names the machine in Go's words, with the ARM variant from cpuinfo", () => {
    expect(platformOfMachine({ arch: "x64", os: "linux" })).toEqual({ os: "linux", architecture: "amd64" });
    expect(platformOfMachine({ arch: "x64", os: "linux", cpuinfo: cpuinfoWith(V3) })).toEqual({
      os: "linux",
      architecture: "amd64",
    });
    expect(platformOfMachine({ arch: "arm64", os: "linux" })).toEqual({ os: "linux", architecture: "arm64" });
    const cpuinfo = "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7\n";
    expect(platformOfMachine({ arch: "arm", os: "linux", cpuinfo })).toEqual({
      os: "linux",
      architecture: "arm",
      variant: "v7",
    });
    expect(platformOfMachine({ arch: "arm", os: "linux", cpuinfo: "CPU architecture: 6\n" }).variant).toBe(
      "v6",
    );
    expect(platformOfMachine({ arch: "ppc64", os: "linux", endianness: "LE" }).architecture).toBe("ppc64le");
  });
});

// The x86-64 psABI levels in Linux's cpuinfo words, written out here from the psABI's table
// (https://gitlab.com/x86-psABIs/x86-64-ABI, "Micro-Architecture Levels"): the test's own copy.
const V2 = "fpu cx8 cmov mmx fxsr sse sse2 syscall cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3";
const V3 = `${V2} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave osxsave`;
const V4 = `${V3} avx512f avx512bw avx512cd avx512dq avx512vl`;
const cpuinfoWith = (flags: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;

describe("runnablePlatformOfMachine", () => {
  it("is the machine's platform with its amd64 level", () => {
    const facts = { arch: "x64", os: "linux" };
    expect(runnablePlatformOfMachine({ ...facts, cpuinfo: cpuinfoWith(V3) })).toEqual({
      os: "linux",
      architecture: "amd64",
      variant: "v3",
    });
    expect(runnablePlatformOfMachine({ ...facts, cpuinfo: cpuinfoWith(V2) }).variant).toBe("v2");
    expect(runnablePlatformOfMachine({ ...facts, cpuinfo: "" })).toEqual({
      os: "linux",
      architecture: "amd64",
    });
    expect(runnablePlatformOfMachine({ arch: "arm64", os: "linux", cpuinfo: cpuinfoWith(V3) })).toEqual({
      os: "linux",
      architecture: "arm64",
    });
  });
});

describe("amd64Level", () => {
  it.each([
    ["no flags line", "processor\t: 0\n", 1],
    ["the baseline", cpuinfoWith("fpu cx8 cmov mmx fxsr sse sse2 syscall"), 1],
    ["v2", cpuinfoWith(V2), 2],
    ["v2 without popcnt", cpuinfoWith(V2.replace(" popcnt", "")), 1],
    ["v3", cpuinfoWith(V3), 3],
    ["v3 without movbe", cpuinfoWith(V3.replace(" movbe", "")), 2],
    ["v3 without abm (lzcnt)", cpuinfoWith(V3.replace(" abm", "")), 2],
    ["v4", cpuinfoWith(V4), 4],
    ["v4 without avx512vl", cpuinfoWith(V4.replace(" avx512vl", "")), 3],
    [
      "AVX-512 but no v2 (never happens; the levels build on each other)",
      cpuinfoWith("avx512f avx512bw avx512cd avx512dq avx512vl"),
      1,
    ],
  ])("%s is x86-64-v%i", (_name, cpuinfo, level) => {
    expect(amd64Level(cpuinfo)).toBe(level);
  });
});

describe("detectRunnablePlatform", () => {
  it("reads POLYARCH_TEST_CPUINFO in place of /proc/cpuinfo, and fails when it cannot", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polyarch-cpuinfo-"));
    try {
      const path = join(dir, "cpuinfo");
      await writeFile(path, cpuinfoWith(V2));
      const host = await detectRunnablePlatform({ POLYARCH_TEST_CPUINFO: path });
      // The flags give an amd64 host its level; an arm64 host has no level to take from them.
      expect(host.variant).toBe(process.arch === "x64" ? "v2" : undefined);
      // What the machine builds for has no level.
      expect((await detectHostPlatform({ POLYARCH_TEST_CPUINFO: path })).variant).toBeUndefined();
      await expect(detectHostPlatform({ POLYARCH_TEST_CPUINFO: join(dir, "missing") })).rejects.toThrow(
        /ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
