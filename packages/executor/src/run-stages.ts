// config, run and cleanup, without the registry client, YAML or zod (settings come from ./settings,
// loaded only when needed): `run` starts once per stage of every job, so its start-up time counts.
export { describeFileSystemFailure } from "./host/fs-failure.ts";
export type { StageIo } from "./host/io.ts";
export { processStageIo } from "./host/io.ts";
export { failureExitCodes } from "./protocol/job.ts";
export type { ExecutorSettings } from "./settings/settings.ts";
export { cleanup } from "./stages/cleanup.ts";
export { configOutput } from "./stages/config.ts";
export type { RunResult } from "./stages/run.ts";
export { run } from "./stages/run.ts";
