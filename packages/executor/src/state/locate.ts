import { jobContext } from "../protocol/job.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import { JOB_DIR_VARIABLE } from "./job-state.ts";
import { jobPaths } from "./layout.ts";

/**
 * The job's directory: from `job_env` (the config stage's answer, which gitlab-runner passes to every
 * later stage), so run and cleanup start without reading the settings; else from the settings.
 */
export async function locateJob(
  env: Readonly<Record<string, string | undefined>>,
  settings: () => Promise<ExecutorSettings>,
): Promise<string> {
  const fromConfig = env[JOB_DIR_VARIABLE];
  if (fromConfig) return fromConfig;
  const job = jobContext(env);
  return jobPaths((await settings()).stateDir, job.jobKey, job.projectKey).dir;
}
