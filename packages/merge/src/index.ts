export type { MergeContext, MergeReport, TagAction } from "./execute.ts";
export { merge } from "./execute.ts";
export type { MergePlan, PlannedEntry } from "./plan.ts";
export {
  configuredPlatform,
  contradictsConfig,
  planMerge,
  platformOf,
  REFUSE_DOCKER_LIST_OF_OCI,
} from "./plan.ts";
export { imageReferences } from "./report.ts";
export type { DescriptorAnnotation, IndexType, MergeRequest, MergeRules, SourceSpec } from "./request.ts";
export type { ResolvedSource } from "./resolve.ts";
export { resolveSource, resolveSources } from "./resolve.ts";
export { argumentSources, parseAnnotations, templateSources } from "./sources.ts";
export type { MergeSpec } from "./spec.ts";
export { parseMergeSpec } from "./spec.ts";
export { checkTemplate, expandTemplate } from "./template.ts";
export { checkMergeRequest, mergeTarget } from "./validate.ts";
