import { doctor as checkHost, type DoctorCheck } from "@polyarch/executor";
import type { Io } from "../../output.ts";
import { type StageOptions, settingsOf } from "./context.ts";

/** `doctor`: every check of this host, for the action to print. */
export async function doctor(options: StageOptions, io: Io): Promise<DoctorCheck[]> {
  return checkHost(await settingsOf(options, io)());
}
