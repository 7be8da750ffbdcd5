import { normalizePlatform } from "@polyarch/oci";
import type { ElfClass, ElfEndianness, ElfHeader } from "./header.ts";

/**
 * The OCI platform fields an ELF header can tell. `architecture` is a GOARCH value as OCI uses them,
 * or `unknown:<e_machine>` for machines that have none.
 * Spec: https://github.com/opencontainers/image-spec/blob/main/image-index.md#platform-variants
 */
export interface ElfPlatform {
  architecture: string;
  variant?: string;
}

/** The platform a caller expects, as an image config or index states it. */
export interface ExpectedPlatform {
  architecture: string;
  variant?: string;
}

export type ElfMachineFields = Pick<ElfHeader, "class" | "endianness" | "machine">;

interface MachineRow {
  machine: number;
  class?: ElfClass;
  endianness?: ElfEndianness;
  architecture: string;
  name: string;
}

/**
 * First matching row wins. A machine without a GOARCH (32-bit s390, PowerPC, RISC-V; big-endian ARM)
 * maps to `unknown:<n>` so that it never matches an expected platform by accident.
 * MIPS n32 binaries are ELFCLASS32 and so read as mips/mipsle: the closest platform there is.
 */
const MACHINES: readonly MachineRow[] = [
  { machine: 62, architecture: "amd64", name: "x86-64" },
  { machine: 3, architecture: "386", name: "Intel 80386" },
  { machine: 183, architecture: "arm64", name: "AArch64" },
  { machine: 40, endianness: "little", architecture: "arm", name: "ARM" },
  { machine: 40, endianness: "big", architecture: "unknown:40", name: "ARM (big-endian)" },
  { machine: 22, class: 64, architecture: "s390x", name: "s390x" },
  { machine: 22, class: 32, architecture: "unknown:22", name: "s390 (31-bit)" },
  { machine: 21, endianness: "little", architecture: "ppc64le", name: "ppc64le" },
  { machine: 21, endianness: "big", architecture: "ppc64", name: "ppc64" },
  { machine: 20, architecture: "unknown:20", name: "PowerPC (32-bit)" },
  { machine: 243, class: 64, architecture: "riscv64", name: "riscv64" },
  { machine: 243, class: 32, architecture: "unknown:243", name: "riscv32" },
  { machine: 8, class: 64, endianness: "little", architecture: "mips64le", name: "MIPS64 (little-endian)" },
  { machine: 8, class: 64, endianness: "big", architecture: "mips64", name: "MIPS64" },
  { machine: 8, class: 32, endianness: "little", architecture: "mipsle", name: "MIPS (little-endian)" },
  { machine: 8, class: 32, endianness: "big", architecture: "mips", name: "MIPS" },
  { machine: 258, class: 64, architecture: "loong64", name: "LoongArch64" },
];

function rowOf(header: ElfMachineFields): MachineRow | undefined {
  return MACHINES.find(
    (row) =>
      row.machine === header.machine &&
      (row.class === undefined || row.class === header.class) &&
      (row.endianness === undefined || row.endianness === header.endianness),
  );
}

/**
 * The OCI platform an ELF header says its binary runs on. ARM binaries are reported as `arm` with no
 * variant: the EABI bits in `e_flags` do not say whether a binary needs v6 or v7, so `elfMatchesPlatform`
 * accepts `arm` against any arm variant.
 */
export function platformOfElf(header: ElfMachineFields): ElfPlatform {
  return { architecture: rowOf(header)?.architecture ?? `unknown:${header.machine}` };
}

/** The name a person knows the machine by (`x86-64`, `AArch64`, `ARM`), for messages. */
export function machineName(header: ElfMachineFields): string {
  return rowOf(header)?.name ?? `ELF machine ${header.machine}`;
}

/**
 * Whether a binary for `found` runs on `expected`. Only the architecture is compared, after the alias
 * normalisation `@polyarch/oci` applies (`x86_64` → `amd64`, `aarch64` → `arm64`): ELF headers do not
 * carry the variant (arm v6/v7, arm64 v8/v9, amd64 v2/v3), so any variant of the same architecture is
 * accepted.
 */
export function elfMatchesPlatform(found: ElfPlatform, expected: ExpectedPlatform): boolean {
  return architectureOf(found) === architectureOf(expected);
}

function architectureOf(platform: ElfPlatform): string {
  return normalizePlatform({ os: "linux", architecture: platform.architecture }).architecture;
}
