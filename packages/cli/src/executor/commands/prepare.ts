import { prepare as prepareJob } from "@polyarch/executor";
import type { Io } from "../../output.ts";
import { type StageOptions, settingsOf, stageIoOf } from "./context.ts";

/** `prepare`: pulls the job's image and makes its root (the registry client loads only here). */
export async function prepare(options: StageOptions, io: Io): Promise<void> {
  await prepareJob(await settingsOf(options, io)(), stageIoOf(io));
}
