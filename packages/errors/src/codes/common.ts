import type { CodeEntries } from "../kinds.ts";

/** Codes any package may raise: a bad flag, a bad spec file, a bug. */
export const commonCodes = {
  POLYARCH_E_BAD_FLAG: {
    kind: "input",
    summary: "a flag's value is not valid, or flags contradict each other",
  },
  POLYARCH_E_BAD_SPEC: {
    kind: "input",
    summary: "a spec file is unreadable or invalid (every problem is listed)",
  },
  POLYARCH_E_INTERNAL: {
    kind: "operation",
    summary: "a bug in polyarch: please report it with POLYARCH_DEBUG=1 output",
  },
} as const satisfies CodeEntries;
