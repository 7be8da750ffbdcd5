import { describe, expect, it } from "vitest";
import { elfMatchesPlatform, machineName, platformOfElf } from "./machines.ts";

describe("platformOfElf and machineName", () => {
  it.each([
    { machine: 62, class: 64, endianness: "little", architecture: "amd64", name: "x86-64" },
    { machine: 3, class: 32, endianness: "little", architecture: "386", name: "Intel 80386" },
    { machine: 183, class: 64, endianness: "little", architecture: "arm64", name: "AArch64" },
    { machine: 40, class: 32, endianness: "little", architecture: "arm", name: "ARM" },
    { machine: 40, class: 32, endianness: "big", architecture: "unknown:40", name: "ARM (big-endian)" },
    { machine: 22, class: 64, endianness: "big", architecture: "s390x", name: "s390x" },
    { machine: 22, class: 32, endianness: "big", architecture: "unknown:22", name: "s390 (31-bit)" },
    { machine: 21, class: 64, endianness: "little", architecture: "ppc64le", name: "ppc64le" },
    { machine: 21, class: 64, endianness: "big", architecture: "ppc64", name: "ppc64" },
    { machine: 243, class: 64, endianness: "little", architecture: "riscv64", name: "riscv64" },
    { machine: 243, class: 32, endianness: "little", architecture: "unknown:243", name: "riscv32" },
    { machine: 8, class: 64, endianness: "little", architecture: "mips64le", name: "MIPS64 (little-endian)" },
    { machine: 8, class: 64, endianness: "big", architecture: "mips64", name: "MIPS64" },
    { machine: 8, class: 32, endianness: "little", architecture: "mipsle", name: "MIPS (little-endian)" },
    { machine: 8, class: 32, endianness: "big", architecture: "mips", name: "MIPS" },
    { machine: 258, class: 64, endianness: "little", architecture: "loong64", name: "LoongArch64" },
    { machine: 2, class: 32, endianness: "big", architecture: "unknown:2", name: "ELF machine 2" },
  ] as const)("EM $machine, $class-bit $endianness → $architecture ($name)", (row) => {
    expect(platformOfElf(row)).toEqual({ architecture: row.architecture });
    expect(machineName(row)).toBe(row.name);
  });
});

describe("elfMatchesPlatform", () => {
  it("accepts arm against every arm variant: ELF headers do not tell v6 from v7", () => {
    expect(elfMatchesPlatform({ architecture: "arm" }, { architecture: "arm", variant: "v6" })).toBe(true);
    expect(elfMatchesPlatform({ architecture: "arm" }, { architecture: "arm", variant: "v7" })).toBe(true);
    expect(elfMatchesPlatform({ architecture: "arm" }, { architecture: "arm" })).toBe(true);
    expect(elfMatchesPlatform({ architecture: "arm" }, { architecture: "arm64" })).toBe(false);
  });

  it("ignores variants and normalises architecture aliases", () => {
    expect(elfMatchesPlatform({ architecture: "arm64" }, { architecture: "arm64", variant: "v8" })).toBe(
      true,
    );
    expect(elfMatchesPlatform({ architecture: "arm64" }, { architecture: "aarch64" })).toBe(true);
    expect(elfMatchesPlatform({ architecture: "amd64" }, { architecture: "x86_64" })).toBe(true);
    expect(elfMatchesPlatform({ architecture: "amd64" }, { architecture: "amd64", variant: "v3" })).toBe(
      true,
    );
    expect(elfMatchesPlatform({ architecture: "386" }, { architecture: "i386" })).toBe(true);
  });

  it("rejects other architectures and unknown machines", () => {
    expect(elfMatchesPlatform({ architecture: "arm64" }, { architecture: "amd64" })).toBe(false);
    expect(elfMatchesPlatform({ architecture: "386" }, { architecture: "amd64" })).toBe(false);
    expect(elfMatchesPlatform({ architecture: "ppc64" }, { architecture: "ppc64le" })).toBe(false);
    expect(elfMatchesPlatform({ architecture: "unknown:2" }, { architecture: "amd64" })).toBe(false);
  });
});
