import { doctor as checkHost, type DoctorCheck, removeLeftJobs } from "@polyarch/executor";
import type { Io } from "../../output.ts";
import { type StageOptions, settingsOf } from "./context.ts";

export interface DoctorOptions extends StageOptions {
  /** Stop and remove jobs whose runner died before `cleanup` first (what the next prepare would). */
  cleanup?: boolean;
}

/** `doctor`: with `--cleanup` removes left jobs (saying which), then every check of this host. */
export async function doctor(options: DoctorOptions, io: Io): Promise<DoctorCheck[]> {
  const settings = await settingsOf(options, io)();
  if (options.cleanup) await removeLeftJobs(settings.stateDir, io);
  return checkHost(settings);
}
