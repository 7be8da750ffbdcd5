import { jobContext } from "../protocol/job.ts";
import { BUILDS_DIR, CACHE_DIR } from "../sandbox/mounts.ts";
import { JOB_DIR_VARIABLE } from "../state/job-state.ts";
import { jobPaths } from "../state/layout.ts";

export const DRIVER = { name: "polyarch-executor", version: "0.1.0" } as const;

/**
 * The `config` stage's answer (https://docs.gitlab.com/runner/executors/custom/#config): pure. Each
 * job has builds of its own, so `builds_dir_is_shared` is false; `job_env` tells the later stages
 * where the job's directory is.
 */
export function configOutput(
  env: Readonly<Record<string, string | undefined>>,
  host: string,
  stateDir: string,
) {
  const job = jobContext(env);
  return {
    builds_dir: BUILDS_DIR,
    cache_dir: CACHE_DIR,
    builds_dir_is_shared: false,
    hostname: host,
    driver: DRIVER,
    job_env: { [JOB_DIR_VARIABLE]: jobPaths(stateDir, job.jobKey, job.projectKey).dir },
  };
}
