import { PolyarchError } from "@polyarch/oci";
import { z } from "zod";

/**
 * What the custom executor learns about a job from gitlab-runner
 * (https://docs.gitlab.com/runner/executors/custom/): job variables as `CUSTOM_ENV_<NAME>`, the whole job
 * as JSON in `JOB_RESPONSE_FILE`, and the exit codes to use for build and system failures.
 */
export interface JobContext {
  /** Job variables with the `CUSTOM_ENV_` prefix removed. */
  variables: Record<string, string>;
  /** Identifies the job's directory: runner, job and concurrency slot. */
  jobKey: string;
  projectKey: string;
  /** `image:` of the job, from the job response (name, entrypoint), else CI_JOB_IMAGE. */
  image: { name: string | undefined; entrypoint: string[] | undefined };
  buildFailureExitCode: number;
  systemFailureExitCode: number;
  /** Where the runner reads the script's own exit code from (gitlab-runner 16.7 and later). */
  buildExitCodeFile: string | undefined;
}

/**
 * The parts of the job response (the API's `POST /jobs/request` answer) the executor reads; lenient:
 * everything else in it is ignored. `image.entrypoint` is only there (gitlab-org/gitlab-runner#27301).
 */
const jobResponseSchema = z.looseObject({
  image: z
    .looseObject({
      name: z.string().nullish(),
      entrypoint: z.array(z.string()).nullish(),
    })
    .nullish(),
});

const PREFIX = "CUSTOM_ENV_";
/** Used when the runner does not say (it always does; the defaults are the ones its docs show). */
const FALLBACK_BUILD_FAILURE = 1;
const FALLBACK_SYSTEM_FAILURE = 2;

/** The job context from the runner's environment and the job response file's text (pure). */
export function jobContext(
  env: Readonly<Record<string, string | undefined>>,
  jobResponse: string | undefined,
): JobContext {
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
  const response = parseJobResponse(jobResponse);
  const name = response.image?.name || variables.CI_JOB_IMAGE || undefined;
  return {
    variables,
    jobKey: `runner-${slot("CI_RUNNER_ID")}-job-${jobId}-${slot("CI_CONCURRENT_ID")}`,
    projectKey: `project-${slot("CI_PROJECT_ID")}`,
    image: { name, entrypoint: response.image?.entrypoint ?? undefined },
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

function parseJobResponse(text: string | undefined): z.infer<typeof jobResponseSchema> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolyarchError("POLYARCH_E_EXECUTOR_ENV", "JOB_RESPONSE_FILE is not valid JSON", {
      hint: "the runner writes this file; check the runner version",
    });
  }
  const parsed = jobResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new PolyarchError(
      "POLYARCH_E_EXECUTOR_ENV",
      `JOB_RESPONSE_FILE: image is not { name, entrypoint }: ${parsed.error.issues[0]?.message ?? ""}`,
      { hint: "the runner writes this file; check the runner version" },
    );
  }
  return parsed.data;
}
