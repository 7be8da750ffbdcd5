import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, test } from "vitest";
import { failureExitCodes, jobContext } from "./job.ts";
import { jobImage } from "./job-response.ts";

const env = {
  CUSTOM_ENV_CI_JOB_ID: "123",
  CUSTOM_ENV_CI_RUNNER_ID: "7",
  CUSTOM_ENV_CI_PROJECT_ID: "42",
  CUSTOM_ENV_CI_CONCURRENT_ID: "3",
  CUSTOM_ENV_CI_JOB_IMAGE: "alpine:3.21",
  BUILD_FAILURE_EXIT_CODE: "10",
  SYSTEM_FAILURE_EXIT_CODE: "20",
  BUILD_EXIT_CODE_FILE: "/tmp/code",
  PATH: "/usr/bin",
};

describe("jobContext", () => {
  test("reads CUSTOM_ENV_* variables, the exit codes and the image from the environment", () => {
    const job = jobContext(env);
    expect(job.variables).toEqual({
      CI_JOB_ID: "123",
      CI_RUNNER_ID: "7",
      CI_PROJECT_ID: "42",
      CI_CONCURRENT_ID: "3",
      CI_JOB_IMAGE: "alpine:3.21",
    });
    expect(job).toMatchObject({
      jobKey: "runner-7-job-123-3",
      projectKey: "project-42",
      buildFailureExitCode: 10,
      systemFailureExitCode: 20,
      buildExitCodeFile: "/tmp/code",
    });
  });

  test("takes image name and entrypoint from the job response, which alone carries the entrypoint", () => {
    const response = JSON.stringify({
      id: 123,
      image: { name: "node:24", entrypoint: [""] },
      services: [],
      extra: 1,
    });
    expect(jobImage(response, jobContext(env).variables)).toEqual({ name: "node:24", entrypoint: [""] });
    expect(jobImage(undefined, jobContext(env).variables)).toEqual({
      name: "alpine:3.21",
      entrypoint: undefined,
    });
  });

  test("a job without CI_JOB_ID is refused with the code that names the missing environment", () => {
    expect(() => jobContext({})).toThrow(expect.objectContaining({ code: "POLYARCH_E_EXECUTOR_ENV" }));
  });

  test("a job response that is not JSON is refused", () => {
    let error: unknown;
    try {
      jobImage("{not json", {});
    } catch (caught: unknown) {
      error = caught;
    }
    expect(isPolyarchError(error, "POLYARCH_E_EXECUTOR_ENV")).toBe(true);
  });

  test("unusable exit codes fall back to the runner's documented ones", () => {
    expect(failureExitCodes({ BUILD_FAILURE_EXIT_CODE: "x", SYSTEM_FAILURE_EXIT_CODE: "0" })).toEqual({
      build: 1,
      system: 2,
    });
  });
});
