// config, run and cleanup, without the registry client, YAML or zod (settings come from ./settings,
// loaded only when needed): `run` starts once per stage of every job, so its start-up time counts.
export { failureExitCodes } from "./protocol/job.ts";
export { DEFAULT_SETTINGS_PATH } from "./settings-path.ts";
export { cleanup } from "./stages/cleanup.ts";
export { configOutput } from "./stages/config.ts";
export type { StageIo } from "./stages/io.ts";
export { processStageIo } from "./stages/io.ts";
export type { RunResult } from "./stages/run.ts";
export { run } from "./stages/run.ts";
