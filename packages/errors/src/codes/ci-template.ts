import type { CodeEntries } from "../kinds.ts";

/** @polyarch/ci-template: GitLab CI files and their checks. */
export const ciTemplateCodes = {
  POLYARCH_E_CI_FILE_UNREADABLE: {
    kind: "input",
    summary: "a CI file (or a file it includes) cannot be read",
  },
  POLYARCH_E_CI_INVALID: { kind: "input", summary: "a CI file breaks GitLab's schema or a pipeline check" },
} as const satisfies CodeEntries;
