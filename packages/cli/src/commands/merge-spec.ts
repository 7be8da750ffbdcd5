// The spec-file reader of `polyarch merge --spec`, loaded only when a spec is given: it brings zod and the
// YAML parser, which a merge of named sources never needs (~217 KB of the bundle, and its start-up).
export { parseMergeSpec } from "@polyarch/merge";
