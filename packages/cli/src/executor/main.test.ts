import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { executorMain } from "./main.ts";

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

async function run(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = capture();
  const stderr = capture();
  const code = await executorMain(["node", "polyarch-executor", ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    cwd: "/",
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("polyarch-executor", () => {
  test("--help lists the stages and shows the [runners.custom] example", async () => {
    const result = await run(["--help"], {});
    expect(result.code).toBe(0);
    for (const stage of ["config", "prepare", "run", "cleanup", "doctor"])
      expect(result.stdout).toContain(stage);
    expect(result.stdout).toContain('run_args    = ["run", "--settings", "/etc/polyarch/executor.yaml"]');
  });

  test("config prints the job's directories, the driver, and the job's directory in job_env, as JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polyarch-config-"));
    await writeFile(join(dir, "executor.yaml"), "state_dir: /srv/polyarch\n");
    const result = await run(["config", "--settings", join(dir, "executor.yaml")], {
      CUSTOM_ENV_CI_JOB_ID: "9",
      CUSTOM_ENV_CI_RUNNER_ID: "4",
    });
    await rm(dir, { recursive: true });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      builds_dir: "/builds",
      cache_dir: "/cache",
      builds_dir_is_shared: false,
      driver: { name: "polyarch-executor" },
      job_env: { POLYARCH_EXECUTOR_JOB_DIR: "/srv/polyarch/jobs/runner-4-job-9-0" },
    });
  });

  test("a stage that cannot start exits with SYSTEM_FAILURE_EXIT_CODE and says why", async () => {
    const result = await run(["prepare", "--settings", "/nonexistent/executor.yaml"], {
      CUSTOM_ENV_CI_JOB_ID: "9",
      SYSTEM_FAILURE_EXIT_CODE: "42",
    });
    expect(result.code).toBe(42);
    expect(result.stderr).toContain(
      "the executor settings file /nonexistent/executor.yaml cannot be read (ENOENT)",
    );
    expect(result.stderr).toContain("hint: ");
  });

  test("cleanup never fails the job, even without settings", async () => {
    const result = await run(["cleanup", "--settings", "/nonexistent/executor.yaml"], {
      CUSTOM_ENV_CI_JOB_ID: "9",
      SYSTEM_FAILURE_EXIT_CODE: "42",
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("cannot be read");
  });

  test("cleanup with a flag it does not know exits 2: only the job's own problems never fail it", async () => {
    const result = await run(["cleanup", "--setings", "/etc/polyarch/executor.yaml"], {
      CUSTOM_ENV_CI_JOB_ID: "9",
      SYSTEM_FAILURE_EXIT_CODE: "42",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--setings'");
  });

  test("doctor with an invalid settings file exits 2 naming the bad key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polyarch-doctor-"));
    await writeFile(join(dir, "executor.yaml"), "emulaton: true\n");
    const result = await run(["doctor", "--settings", join(dir, "executor.yaml")], {});
    await rm(dir, { recursive: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "emulation"?');
  });
});
