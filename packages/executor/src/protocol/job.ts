import { PolyarchError } from "@polyarch/errors";

/**
 * What the custom executor learns about a job from gitlab-runner
 * (https://docs.gitlab.com/runner/executors/custom/): job variables as `CUSTOM_ENV_<NAME>`, the whole job
 * as JSON in `JOB_RESPONSE_FILE` (job-response.ts), and the exit codes to use for build and system failures.
 */
export interface JobContext {
  /** Job variables with the `CUSTOM_ENV_` prefix removed. */
  variables: Record<string, string>;
  /** Identifies the job's directory: runner, job and concurrency slot. */
  jobKey: string;
  projectKey: string;
  buildFailureExitCode: number;
  systemFailureExitCode: number;
  /** Where the runner reads the script's own exit code from (gitlab-runner 16.7 and later). */
  buildExitCodeFile: string | undefined;
}

const PREFIX = "CUSTOM_ENV_";
/** Used when the runner does not say (it always does; the defaults are the ones its docs show). */
const FALLBACK_BUILD_FAILURE = 1;
const FALLBACK_SYSTEM_FAILURE = 2;

/** The job context from the runner's environment (pure). */
export function jobContext(env: Readonly<Record<string, string | undefined>>): JobContext {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(PREFIX) && value !== undefined) variables[name.slice(PREFIX.length)] = value;
  }
  const jobId = variables.CI_JOB_ID;
  if (!jobId || !/^\d+$/.test(jobId)) {
    throw new PolyarchError(
      "POLYARCH_E_EXECUTOR_ENV",
      `CUSTOM_ENV_CI_JOB_ID is ${jobId === undefined ? "not set" : JSON.stringify(jobId)}; the executor needs the job's number`,
      { hint: "run polyarch-executor from gitlab-runner's [runners.custom] stages, which set CUSTOM_ENV_*" },
    );
  }
  const slot = (name: string) => (variables[name] ?? "0").replace(/[^A-Za-z0-9_.-]/g, "_");
  return {
    variables,
    jobKey: `runner-${slot("CI_RUNNER_ID")}-job-${jobId}-${slot("CI_CONCURRENT_ID")}`,
    projectKey: `project-${slot("CI_PROJECT_ID")}`,
    buildFailureExitCode: exitCode(env.BUILD_FAILURE_EXIT_CODE, FALLBACK_BUILD_FAILURE),
    systemFailureExitCode: exitCode(env.SYSTEM_FAILURE_EXIT_CODE, FALLBACK_SYSTEM_FAILURE),
    buildExitCodeFile: env.BUILD_EXIT_CODE_FILE || undefined,
  };
}

/** Exit codes from the environment, without needing a valid job (used when reading the job fails). */
export function failureExitCodes(env: Readonly<Record<string, string | undefined>>) {
  return {
    build: exitCode(env.BUILD_FAILURE_EXIT_CODE, FALLBACK_BUILD_FAILURE),
    system: exitCode(env.SYSTEM_FAILURE_EXIT_CODE, FALLBACK_SYSTEM_FAILURE),
  };
}

function exitCode(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value > 0 && value < 256 ? value : fallback;
}
