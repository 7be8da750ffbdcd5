import type { CodeEntries } from "../kinds.ts";

/** @polyarch/helper-image: the upstream gitlab-runner-helper images and their verification. */
export const helperImageCodes = {
  POLYARCH_E_UPSTREAM_MISSING: { kind: "operation", summary: "an upstream helper tag does not exist" },
  POLYARCH_E_UPSTREAM_SHAPE: {
    kind: "operation",
    summary: "an upstream helper image is not the shape expected",
  },
  POLYARCH_E_HELPER_VERIFY: { kind: "operation", summary: "a helper image failed its verification" },
} as const satisfies CodeEntries;
