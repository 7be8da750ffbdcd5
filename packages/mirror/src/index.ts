export type { FilteredIndex } from "./filter.ts";
export { entryMatches, filterIndex, isAttestationEntry } from "./filter.ts";
export type { MirrorAction, MirrorCheck, MirrorContext, MirrorReport, MirrorRequest } from "./mirror.ts";
export { checkMirror, mirror, targetTag } from "./mirror.ts";
export { fingerprint, isReceiptTag, receiptTag } from "./receipt.ts";
export { hasWrittenTag, parseWrittenReference } from "./reference.ts";
export type { SpecProblem, SpecResult } from "./spec-file.ts";
export {
  closestKey,
  formatPath,
  parseSpecText,
  strictObject,
  unknownKeyMessage,
  validateSpecText,
} from "./spec-file.ts";
export { RegistryLimits } from "./sync/limits.ts";
export type { SyncItem, SyncPlan, SyncPlanContext, SyncPlanFailure } from "./sync/plan.ts";
export { describeItem, planSync } from "./sync/plan.ts";
export type { SyncAction, SyncContext, SyncItemReport, SyncReport } from "./sync/run.ts";
export { sync } from "./sync/run.ts";
export type { RegistrySettings, SyncImage, SyncSpec } from "./sync/spec.ts";
export { parseSyncSpec, syncSpecSchema } from "./sync/spec.ts";
export type { TagFilter } from "./sync/tags.ts";
export { anchored, selectTags, sortTags, tagVersion } from "./sync/tags.ts";
export type { ThrottleOptions } from "./sync/throttle.ts";
export { PullThrottle } from "./sync/throttle.ts";
