import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { until } from "../support/process.ts";
import { jobImage, pushJobImage } from "./support/images.ts";
import { hostProcesses } from "./support/processes.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

let registry: Registry;
let busybox: string;
const hosts: RunnerHost[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  busybox = await pushJobImage(registry, "busybox", "1", await jobImage());
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  for (const host of hosts) await host.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

async function newHost(settings: Record<string, unknown> = {}): Promise<RunnerHost> {
  const host = await startRunnerHost(settings);
  hosts.push(host);
  return host;
}

/** Resolves once `path` (a file the job writes on the host) exists. */
async function waitForFile(path: string): Promise<void> {
  for (;;) {
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("concurrent jobs", { timeout: JOB_TIMEOUT_MS }, () => {
  test("a job cannot read another running job's files", async () => {
    const host = await newHost();
    const running = await host.startStep({
      id: 201,
      image: busybox,
      script: [
        "echo job-201-secret > /builds/secret",
        "echo job-201-tmp > /tmp/secret",
        "touch /builds/ready",
        "sleep 120",
      ],
    });
    const jobs = join(host.stateDir, "jobs");
    const name = (await readdir(jobs)).find((entry) => entry.includes("-job-201-")) as string;
    await waitForFile(join(jobs, name, "builds", "ready"));
    const other = await host.runJob({
      id: 202,
      image: busybox,
      script: [
        "cat /builds/secret /tmp/secret || echo 'nothing of job 201 here'",
        `cat ${join(jobs, name, "builds", "secret")} || echo 'no host path either'`,
        "grep -rl job-201 $(ls -d /* | grep -v -e ^/proc -e ^/dev -e ^/polyarch) || echo 'found nowhere'",
      ],
    });
    running.step.kill("SIGTERM");
    await running.step;
    await running.finish();
    expect(other.result).toBe("success");
    expect(other.log).not.toContain("job-201-secret\n");
    expect(other.log).toContain("nothing of job 201 here");
    expect(other.log).toContain("no host path either");
    expect(other.log).toContain("found nowhere");
  });

  test("two jobs started together share one unpacked copy of their common layers", async () => {
    const host = await newHost();
    const base = await jobImage();
    const first = await pushJobImage(
      registry,
      "shared",
      "a",
      await jobImage({ extra: [[{ path: "a.txt", content: "a\n" }]] }),
    );
    const second = await pushJobImage(
      registry,
      "shared",
      "b",
      await jobImage({ extra: [[{ path: "b.txt", content: "b\n" }]] }),
    );
    const [runA, runB] = await Promise.all([
      host.runJob({ id: 203, image: first, script: ["cat /a.txt"] }),
      host.runJob({ id: 204, image: second, script: ["cat /b.txt"] }),
    ]);
    expect(runA.result).toBe("success");
    expect(runB.result).toBe("success");
    const layers = (await readdir(join(host.stateDir, "layers"))).filter((name) =>
      name.startsWith("sha256-"),
    );
    // busybox once, plus each image's own layer: three unpacked layers for four pulled.
    // A layer's key: its digest as a file name, marked as unpacked with its entries' owners recorded.
    const baseKey = `${(base.layers[0]?.digest ?? "").replace(":", "-")}-owners`;
    expect(layers).toHaveLength(3);
    expect(layers).toContain(baseKey);
    const roots = (await readdir(join(host.stateDir, "roots"))).filter((name) => name.startsWith("sha256-"));
    expect(roots).toHaveLength(2);
    const inodes = await Promise.all(
      roots.map(async (root) => (await stat(join(host.stateDir, "roots", root, "tree/bin/busybox"))).ino),
    );
    const layerInode = (await stat(join(host.stateDir, "layers", baseKey, "tree/bin/busybox"))).ino;
    expect(inodes).toEqual([layerInode, layerInode]);
    expect((await readdir(join(host.stateDir, "layers"))).filter((name) => name.startsWith(".tmp-"))).toEqual(
      [],
    );
  });
});

describe("SIGTERM", { timeout: JOB_TIMEOUT_MS }, () => {
  test("stops the job's whole tree, and a process ignoring SIGTERM is killed after the grace", async () => {
    const host = await newHost({ stop_grace_seconds: 1 });
    // Unusual durations mark the job's processes: a process is found by its command line on the host.
    const sleeps = [3917, 3918, 3919];
    const running = await host.startStep({
      id: 205,
      image: busybox,
      script: [
        `sh -c 'trap "" TERM; sleep ${sleeps[0]}; :' &`,
        `sleep ${sleeps[1]} &`,
        "touch /builds/started",
        `sleep ${sleeps[2]}`,
      ],
    });
    const jobProcesses = async () =>
      (await Promise.all(sleeps.map((seconds) => hostProcesses(new RegExp(`^sleep ${seconds} $`))))).flat();
    const jobs = join(host.stateDir, "jobs");
    const name = (await readdir(jobs)).find((entry) => entry.includes("-job-205-")) as string;
    await waitForFile(join(jobs, name, "builds", "started"));
    // The backgrounded shell may not have started its sleep yet when the job touches the file.
    await until(async () => (await jobProcesses()).length === 3, "the job's three sleeps");
    running.step.kill("SIGTERM");
    const result = await running.step;
    expect(result.exitCode).not.toBe(0);
    expect(await jobProcesses()).toEqual([]);
    await running.finish();
    expect((await readdir(jobs)).filter((entry) => entry.includes("-job-205-"))).toEqual([]);
  });
});
