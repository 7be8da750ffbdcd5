import { jobContext } from "../protocol/job.ts";

export const DRIVER = { name: "polyarch-executor", version: "0.1.0" } as const;
/** Where a job sees its builds and cache directories (bound in from its job directory). */
export const BUILDS_DIR = "/builds";
export const CACHE_DIR = "/cache";

/**
 * The `config` stage's answer (https://docs.gitlab.com/runner/executors/custom/#config): pure. Each
 * job has builds of its own, so `builds_dir_is_shared` is false.
 */
export function configOutput(env: Readonly<Record<string, string | undefined>>, host: string) {
  const job = jobContext(env, undefined);
  return {
    builds_dir: BUILDS_DIR,
    cache_dir: CACHE_DIR,
    builds_dir_is_shared: false,
    hostname: host,
    driver: DRIVER,
    job_env: { POLYARCH_EXECUTOR_JOB: job.jobKey },
  };
}
