import { run as runStage } from "@polyarch/executor/run-stages";
import type { Io } from "../../output.ts";
import type { ExecutorOutcome } from "../exit.ts";
import { type StageOptions, settingsOf, stageIoOf } from "./context.ts";

/** `run <script> <stage>`: the script in the job's sandbox; its own failure is a build failure. */
export async function run(
  script: string,
  stage: string,
  options: StageOptions,
  io: Io,
): Promise<ExecutorOutcome> {
  const result = await runStage(stageIoOf(io), script, stage, settingsOf(options, io));
  return result.kind === "success" ? "succeeded" : "build-failed";
}
