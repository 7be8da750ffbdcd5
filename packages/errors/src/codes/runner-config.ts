import type { CodeEntries } from "../kinds.ts";

/** @polyarch/runner-config: fleet files. */
export const runnerConfigCodes = {
  POLYARCH_E_FLEET_INVALID: { kind: "input", summary: "a fleet file is invalid (every problem is listed)" },
  POLYARCH_E_FLEET_NOT_FOUND: { kind: "input", summary: "the fleet file does not exist" },
  POLYARCH_E_FLEET_UNREADABLE: { kind: "input", summary: "the fleet file cannot be read" },
} as const satisfies CodeEntries;
