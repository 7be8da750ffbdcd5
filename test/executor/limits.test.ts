import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobImage, pushJobImage } from "./support/images.ts";
import { doctorAsRunnerUser, type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// `cpu` and `memory` per job are never silently ignored. Without a cgroup delegated to the runner's
// user (these stages start in no such cgroup; cgroup.test.ts delegates one) a job asking for them is
// refused at prepare, with why and the fix.
let registry: Registry;
let host: RunnerHost;

beforeAll(async () => {
  registry = await startRegistry();
  host = await startRunnerHost({ cpu: "1.5", memory: "512Mi" });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("cpu and memory limits", { timeout: JOB_TIMEOUT_MS }, () => {
  test("a job asking for them is refused at prepare with the reason, before anything runs", async () => {
    const image = await pushJobImage(registry, "team/tools", "limits", await jobImage());
    const run = await host.runJob({ id: 2201, image, script: ["echo the script ran"] });
    expect(run.result, run.log).toBe("system_failure");
    expect(run.log).toMatch(
      /the executor settings ask for cpu: 1\.5, memory: 536870912 bytes, which this host cannot enforce: (no cgroup above \S+ is delegated to polyarch-ci \(writable by it\)|this host has no cgroup v2 hierarchy mounted).*\nhint: \S.*Delegate=/,
    );
    expect(run.log).not.toContain("the script ran");
    expect(await readdir(join(host.stateDir, "jobs")).catch(() => [])).toEqual([]);
  });

  test("doctor says the limits are refused here and why, and exits 1", async () => {
    const result = await doctorAsRunnerUser(host);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^MISSING cgroup limits: jobs ask for cpu: 1\.5, memory: 536870912 bytes, refused at prepare: \S.*\n +fix: \S.*Delegate=/m,
    );
  });
});
