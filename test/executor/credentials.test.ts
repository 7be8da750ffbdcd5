import { pushImage, type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobImage } from "./support/images.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

let registry: Registry;
let host: RunnerHost;
let reference: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: "basic" });
  await pushImage(registry, "private/app", "1", await jobImage());
  reference = `${registry.host}/private/app:1`;
  host = await startRunnerHost();
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("the job's own registry credentials", { timeout: JOB_TIMEOUT_MS }, () => {
  test("without credentials a private image is a system failure", async () => {
    const run = await host.runJob({ id: 401, image: reference, script: ["true"] });
    expect(run.result).toBe("system_failure");
  });

  test("CI_REGISTRY, CI_REGISTRY_USER and CI_REGISTRY_PASSWORD pull from the CI registry, and the password stays out of the log", async () => {
    const run = await host.runJob({
      id: 402,
      image: reference,
      script: ["echo pulled"],
      variables: {
        CI_REGISTRY: registry.host,
        CI_REGISTRY_USER: registry.username as string,
        CI_REGISTRY_PASSWORD: registry.password as string,
      },
    });
    expect(run.result).toBe("success");
    expect(run.log).toContain("pulled");
    expect(run.log).not.toContain(registry.password as string);
  });

  test("DOCKER_AUTH_CONFIG pulls with the auths entry for the registry", async () => {
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
    const run = await host.runJob({
      id: 403,
      image: reference,
      script: ["echo pulled"],
      variables: { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { [registry.host]: { auth } } }) },
    });
    expect(run.result).toBe("success");
    expect(run.log).not.toContain(auth);
  });
});
