import type { CodeEntries } from "../kinds.ts";

/** @polyarch/cli: what only the command line itself can get wrong. */
export const cliCodes = {
  POLYARCH_E_NOTHING_TO_PRINT: { kind: "input", summary: "the flags select no output" },
  POLYARCH_E_NO_TARGET: { kind: "input", summary: "no target reference was given" },
  POLYARCH_E_DEMO_SETUP: { kind: "operation", summary: "the demo's local registry could not be started" },
} as const satisfies CodeEntries;
