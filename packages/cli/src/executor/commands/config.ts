import { configOutput } from "@polyarch/executor/run-stages";
import type { Io } from "../../output.ts";
import { type StageOptions, settingsOf, stageIoOf } from "./context.ts";

/** `config`: the job's builds_dir, cache_dir, hostname, driver and job_env, for the action to print. */
export async function config(options: StageOptions, io: Io): Promise<ReturnType<typeof configOutput>> {
  const settings = await settingsOf(options, io)();
  return configOutput(io.env, stageIoOf(io).hostname(), settings.stateDir);
}
