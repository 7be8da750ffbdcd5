import type { CodeEntries } from "../kinds.ts";

/** @polyarch/merge: sources, templates and annotations of a merge. */
export const mergeCodes = {
  POLYARCH_E_BAD_TEMPLATE: { kind: "input", summary: "a source or tag template has no usable placeholder" },
  POLYARCH_E_BAD_ANNOTATION: { kind: "input", summary: "an annotation is not key=value" },
  POLYARCH_E_NO_SOURCES: { kind: "input", summary: "a merge was given no source images" },
  POLYARCH_E_SOURCE_FORMS: { kind: "input", summary: "sources were given in more than one form" },
  POLYARCH_E_DUPLICATE_SOURCE: { kind: "input", summary: "the same source was named twice" },
  POLYARCH_E_AMBIGUOUS_SOURCE: {
    kind: "input",
    summary: "an index source holds several images and no platform was stated",
  },
  POLYARCH_E_TYPE_MISMATCH: { kind: "input", summary: "the index type asked for cannot hold these children" },
  POLYARCH_E_SOURCE_MISSING: { kind: "operation", summary: "a source image does not exist" },
  POLYARCH_E_PLATFORM_MISMATCH: {
    kind: "operation",
    summary: "an image's config says another platform than the one it is merged as",
  },
} as const satisfies CodeEntries;
