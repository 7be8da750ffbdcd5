export {
  BUILD_DOTENV,
  BUILD_JOB,
  buildJobName,
  buildTemplate,
  MERGE_DOTENV,
  MERGE_JOB,
} from "./build-template.ts";
export { checkPipeline } from "./check.ts";
export type { CiFile } from "./check-file.ts";
export { checkCiFiles } from "./check-file.ts";
export type { CiDocument, CiJob } from "./ci-yaml.ts";
export { renderCiYaml } from "./ci-yaml.ts";
export { loadCiFiles } from "./load.ts";
export { dotenvArch, jobArch } from "./names.ts";
export type { Builder, BuildTemplateOptions, Topology } from "./options.ts";
export { BUILDERS, buildTemplateOptions, DEFAULT_TOOL_IMAGE, TOPOLOGIES } from "./options.ts";
export type { CiProblem } from "./problems.ts";
export { formatCiProblems } from "./problems.ts";
export type { RenderedTemplate } from "./render.ts";
export { renderBuildTemplate, renderScheduleTemplate } from "./render.ts";
export { localIncludes, resolveJobs } from "./resolve.ts";
export type { ScheduleTemplateOptions } from "./schedule-template.ts";
export { HELPER_REFRESH_JOB, SYNC_JOB, scheduleTemplate } from "./schedule-template.ts";
export { gitlabCiSchemaUrl, validateCiSchema } from "./schema.ts";
