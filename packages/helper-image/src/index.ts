export type { HelperArchitecture } from "./architectures.ts";
export {
  ARCHITECTURE_NAMES,
  HELPER_ARCHITECTURES,
  isHelperArchitecture,
  platformOfArchitecture,
} from "./architectures.ts";
export type { IndexEntry } from "./index-document.ts";
export { ANNOTATIONS, buildIndex } from "./index-document.ts";
export type { RefreshItem, RefreshMode } from "./plan.ts";
export { modeOf, planRefresh, selectVersions, upstreamTagsOf } from "./plan.ts";
export type {
  RefreshAction,
  RefreshContext,
  RefreshItemReport,
  RefreshOptions,
  RefreshReport,
} from "./refresh.ts";
export { refresh } from "./refresh.ts";
export type { HelperFlavor, HelperSpec } from "./spec.ts";
export { DEFAULT_BINARIES, DEFAULT_UPSTREAM, helperSpecSchema, parseHelperSpec } from "./spec.ts";
export {
  DEFAULT_FLAVOR,
  DEFAULT_TARGET_TAG,
  flavorPrefix,
  multiArchTag,
  perArchitectureTag,
  renderTargetTag,
  versionOfTag,
} from "./tags.ts";
