import type { CodeEntries } from "../kinds.ts";

/** @polyarch/elf: reading layers and judging the architecture of their binaries. */
export const elfCodes = {
  POLYARCH_E_BINARY_MISMATCH: {
    kind: "operation",
    summary: "an image's binaries are for another architecture",
  },
  POLYARCH_E_LAYER_UNSUPPORTED: { kind: "operation", summary: "a layer's compression cannot be read" },
  POLYARCH_E_LAYER_CORRUPT: { kind: "operation", summary: "a layer's tar stream is damaged" },
} as const satisfies CodeEntries;
