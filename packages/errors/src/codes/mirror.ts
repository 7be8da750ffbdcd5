import type { CodeEntries } from "../kinds.ts";

/** @polyarch/mirror: sync specs and their shards. */
export const mirrorCodes = {
  POLYARCH_E_BAD_SHARD: { kind: "input", summary: "a --shard is not INDEX/TOTAL with 1 <= INDEX <= TOTAL" },
  POLYARCH_E_NO_TAGS: { kind: "operation", summary: "a repository to sync has no tags" },
} as const satisfies CodeEntries;
