import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { helperStandIn, jobImage, pushJobImage, pushJobIndex } from "./support/images.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";

let registry: Registry;
let host: RunnerHost;
let busybox: string;

beforeAll(async () => {
  registry = await startRegistry();
  busybox = await pushJobImage(registry, "busybox", "1", await jobImage());
  const helper = await pushJobIndex(registry, "helper", "v1", [await helperStandIn("amd64"), await helperStandIn("arm64")]);
  host = await startRunnerHost({ helper_image: helper });
});

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
});

describe("a job", () => {
  test("runs its script in its image and the log shows its output", async () => {
    const run = await host.runJob({ id: 101, image: busybox, script: ["echo hello from $(uname -m)", "cat /bin/../etc/passwd | head -n1", "gitlab-runner --version"] });
    expect(run.log).toContain("hello from x86_64");
    expect(run.log).toContain("root:x:0:0:root");
    expect(run.log).toContain("gitlab-runner-helper stand-in (amd64): --version");
    expect(run.result).toBe("success");
  });
});
