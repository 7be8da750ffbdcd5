export type { ElfClass, ElfEndianness, ElfHeader, ElfType } from "./header.ts";
export { ELF_HEADER_BYTES, readElfHeader } from "./header.ts";
export type { Verdict } from "./judge.ts";
export { judge } from "./judge.ts";
export { normalizeLayerPath } from "./layer-entries.ts";
export type { ElfMachineFields, ElfPlatform, ExpectedPlatform } from "./machines.ts";
export { elfMatchesPlatform, machineName, platformOfElf } from "./machines.ts";
export type { ElfBinary, ScanLayerOptions } from "./scan.ts";
export { isRunnableElf, scanLayer } from "./scan.ts";
export type {
  BinaryMismatch,
  LayerSource,
  VerifyBinariesOptions,
  VerifyBinariesResult,
} from "./verify.ts";
export { storeLayers, verifyBinaries } from "./verify.ts";
