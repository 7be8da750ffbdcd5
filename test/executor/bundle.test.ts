import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HOST_ARCH, helperStandIn, jobImage, pushJobIndex, UNAME } from "./support/images.ts";
import { doctorAsRunnerUser, type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// polyarch-executor as it ships: the launcher in packages/cli/bin/ loading the bundle (dist/bin/), each stage
// a process of its own as gitlab-runner runs it. The other executor tests run the TypeScript sources
// (support/executor-entry.ts); this one is the binary's smoke test, every stage once.

let registry: Registry;
let host: RunnerHost;
let image: string;

beforeAll(async () => {
  registry = await startRegistry();
  // Indexes of both architectures: the executor pulls the host's own.
  const both = <T>(make: (arch: "amd64" | "arm64") => Promise<T>) =>
    Promise.all([make("amd64"), make("arm64")]);
  image = await pushJobIndex(registry, "busybox", "1", await both((arch) => jobImage({ arch })));
  const helper = await pushJobIndex(registry, "helper", "v1", await both(helperStandIn));
  host = await startRunnerHost({ helper_image: helper }, { built: true });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("the built polyarch-executor", { timeout: JOB_TIMEOUT_MS }, () => {
  test("runs a job through config, prepare, run and cleanup", async () => {
    const run = await host.runJob({ id: 901, image, script: ["echo built executor on $(uname -m)"] });
    expect(run.log).not.toContain("internal error");
    expect(run.result).toBe("success");
    expect(run.stages.map(({ stage, exitCode }) => [stage, exitCode])).toEqual([
      ["config", 0],
      ["prepare", 0],
      ["prepare_script", 0],
      ["get_sources", 0],
      ["step_script", 0],
      ["upload_artifacts_on_success", 0],
      ["cleanup_file_variables", 0],
      ["cleanup", 0],
    ]);
    expect(run.log).toContain(`built executor on ${UNAME[HOST_ARCH]}`);
  });

  test("doctor, as the runner's user, finds what it needs and exits 0", async () => {
    const result = await doctorAsRunnerUser(host);
    expect(result.stdout).toMatch(/^ok +bubblewrap:/m);
    expect(result.stdout).not.toMatch(/^MISSING/m);
    expect(result.exitCode).toBe(0);
  });
});
