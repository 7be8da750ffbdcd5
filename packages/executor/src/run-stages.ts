// The stages that start a sandbox or clean up, without loading the registry client, YAML or zod:
// `run` is started once per stage of every job, so its start-up time is the executor's floor.
export { failureExitCodes } from "./protocol/job.ts";
export { DEFAULT_SETTINGS_PATH } from "./settings-path.ts";
export { cleanup } from "./stages/cleanup.ts";
export type { StageIo } from "./stages/io.ts";
export { processStageIo } from "./stages/io.ts";
export type { RunResult } from "./stages/run.ts";
export { run } from "./stages/run.ts";
