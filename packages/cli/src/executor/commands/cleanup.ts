import { cleanup as cleanupJob } from "@polyarch/executor/run-stages";
import type { Io } from "../../output.ts";
import { type StageOptions, settingsOf, stageIoOf } from "./context.ts";

/** `cleanup`: removes the job's files and stops its services; problems go to the job log, never thrown. */
export async function cleanup(options: StageOptions, io: Io): Promise<void> {
  await cleanupJob(stageIoOf(io), settingsOf(options, io));
}
