import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { jobServices } from "./job-response.ts";

describe("jobServices", () => {
  it("reads services: from the job response, variables as the API lists them", () => {
    const response = JSON.stringify({
      image: { name: "alpine:3" },
      services: [
        { name: "postgres:16", alias: "db", entrypoint: null, command: ["postgres", "-c", "fsync=off"] },
        { name: "redis:7", variables: [{ key: "REDIS_ARGS", value: "--save ''" }] },
      ],
    });
    expect(jobServices(response, {})).toEqual([
      {
        name: "postgres:16",
        alias: "db",
        entrypoint: undefined,
        command: ["postgres", "-c", "fsync=off"],
        variables: {},
      },
      {
        name: "redis:7",
        alias: undefined,
        entrypoint: undefined,
        command: undefined,
        variables: { REDIS_ARGS: "--save ''" },
      },
    ]);
  });

  it("falls back to CI_JOB_SERVICES, the JSON the runner exports to custom executors", () => {
    const variable = JSON.stringify([
      {
        name: "mysql:8",
        alias: "",
        entrypoint: null,
        command: null,
        variables: { MYSQL_ROOT_PASSWORD: "x" },
      },
    ]);
    expect(jobServices(undefined, { CI_JOB_SERVICES: variable })).toEqual([
      {
        name: "mysql:8",
        alias: undefined,
        entrypoint: undefined,
        command: undefined,
        variables: { MYSQL_ROOT_PASSWORD: "x" },
      },
    ]);
    expect(jobServices(undefined, {})).toEqual([]);
  });

  it("refuses a CI_JOB_SERVICES that is not the runner's JSON", () => {
    let error: unknown;
    try {
      jobServices(undefined, { CI_JOB_SERVICES: "postgres:16" });
    } catch (caught: unknown) {
      error = caught;
    }
    expect(isPolyarchError(error, "POLYARCH_E_EXECUTOR_ENV")).toBe(true);
    expect((error as Error).message).toContain("CI_JOB_SERVICES is not a JSON list");
  });
});
