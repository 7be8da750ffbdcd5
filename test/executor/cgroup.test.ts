import { chown, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cgroup2Mount, type DelegatedCgroup, delegateCgroup, exists, processesIn } from "./support/cgroup.ts";
import { executorUser, pathWithout } from "./support/host-user.ts";
import { jobImage, pushJobImage } from "./support/images.ts";
import { hostProcesses, jobConnector } from "./support/processes.ts";
import { doctorAsRunnerUser, type JobSpec, type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// A cgroup of each job's own, for real, on this host's cgroup v2: the test delegates a cgroup to
// polyarch-ci as systemd's Delegate= would (support/cgroup.ts), and the stages start in its `runner`
// subgroup. This host keeps cpu and memory on cgroup v1, so cpu.max and memory.max cannot be enforced
// here: what is tested is joining, killing, removing, and the refusal of limits with the reason.
let registry: Registry;
let image: string;
/** A service that sleeps: its process is found on the host by its argument. */
let sleeper: string;
let delegated: DelegatedCgroup;
let host: RunnerHost;

beforeAll(async () => {
  registry = await startRegistry();
  image = await pushJobImage(registry, "team/tools", "cgroup", await jobImage());
  sleeper = await pushJobImage(
    registry,
    "team/sleeper",
    "1",
    await jobImage({ runtime: { Cmd: ["/bin/sleep", "31401"], Env: ["PATH=/bin"] } }),
  );
  delegated = await delegateCgroup(executorUser());
  host = await startRunnerHost({ network: "isolated" }, { cgroup: delegated.runner });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await delegated?.remove();
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

/** The job cgroups under the delegated cgroup. */
async function jobCgroups(): Promise<string[]> {
  const names = await readdir(delegated.dir);
  return names.filter((name) => name.startsWith("polyarch-job-")).map((name) => join(delegated.dir, name));
}

/** The job cgroup under the delegated cgroup that `marker` runs in, once it does (a wait, not a measure). */
async function cgroupRunning(marker: string): Promise<string> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    for (const cgroup of await jobCgroups()) {
      const processes = await processesIn(cgroup).catch(() => []);
      if (processes.some((process) => process.cmdline.includes(marker))) return cgroup;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no job cgroup under ${delegated.dir} runs ${marker}`);
}

/** The job's directory on the host (its builds/ is the job's /builds). */
async function jobDir(job: JobSpec): Promise<string> {
  const jobs = join(host.stateDir, "jobs");
  const name = (await readdir(jobs)).find((entry) => entry.includes(`-job-${job.id}-`));
  if (name === undefined) throw new Error(`no directory for job ${job.id}`);
  return join(jobs, name);
}

describe("a job's own cgroup under a delegated one", { timeout: JOB_TIMEOUT_MS }, () => {
  test("holds the job's holder, pasta, service and script, and nothing of the job runs outside it", async () => {
    const job: JobSpec = {
      id: 2301,
      image,
      services: [{ name: sleeper, alias: "sleeper" }],
      // Runs until the test lets it end: a file in its /builds.
      script: ["sleep 31402 & until [ -e /builds/release ]; do sleep 0.1; done; kill $!"],
    };
    const { step, finish } = await host.startStep(job);
    const cgroup = await cgroupRunning("sleep 31402");
    const relative = cgroup.slice((await cgroup2Mount()).length);
    expect(relative).toMatch(new RegExp(`^/${delegated.dir.split("/").pop()}/polyarch-job-\\S*-job-2301-`));
    const inside = (await processesIn(cgroup)).map((process) => process.cmdline);
    expect(inside).toEqual(
      expect.arrayContaining([
        expect.stringContaining("polyarch-job-namespace-holder"),
        expect.stringMatching(/^pasta /),
        expect.stringContaining("/bin/sleep 31401"),
        expect.stringContaining("sleep 31402"),
      ]),
    );
    // The holder, pasta, the service's and the script's processes, wherever they are on the host, are
    // in the job's cgroup (the services' keeper shells and the stages' node, the executor's own, are not).
    const dir = await jobDir(job);
    for (const pattern of [
      new RegExp(`polyarch-job-namespace-holder ${dir}/namespace.pid`),
      new RegExp(`^pasta .* --pid ${dir}/pasta.pid`),
      /^\/bin\/sleep 31401/,
      /^sleep 31402/,
    ]) {
      const found = await hostProcesses(pattern);
      expect(found.length, String(pattern)).toBeGreaterThan(0);
      for (const process of found) expect(process.cgroup, String(pattern)).toBe(relative);
    }
    // The executor's own processes stay in the runner's cgroup.
    expect(await readFile(`/proc/${step.pid}/cgroup`, "utf8")).not.toContain("polyarch-job-");

    const release = join(dir, "builds", "release");
    await writeFile(release, "");
    await chown(release, host.user.uid, host.user.gid);
    const ran = await step;
    expect(ran.exitCode, String(ran.all)).toBe(0);
    await finish();
    expect(await exists(cgroup)).toBe(false);
    expect(await hostProcesses(/^\/bin\/sleep 31401/)).toEqual([]);
  });

  test("holds slirp4netns where pasta is missing, and cleanup stops it and removes the cgroup", async () => {
    const withoutPasta = await startRunnerHost(
      { network: "isolated" },
      { cgroup: delegated.runner, env: (dir) => ({ PATH: pathWithout(["pasta"], join(dir, "bin")) }) },
    );
    try {
      const job: JobSpec = { id: 2307, image, script: [] };
      const prepared = await withoutPasta.stage("prepare", job);
      expect(prepared.exitCode, prepared.output).toBe(0);
      const cgroup = (await jobCgroups()).find((dir) => dir.includes("-job-2307-"));
      if (cgroup === undefined) throw new Error(`no cgroup of job 2307 under ${delegated.dir}`);
      const slirp = await jobConnector(withoutPasta.stateDir);
      expect(slirp.kind).toBe("slirp4netns");
      expect(slirp.processes).toEqual([
        { pid: slirp.pid, cgroup: cgroup.slice((await cgroup2Mount()).length) },
      ]);
      await withoutPasta.stage("cleanup", job);
      expect(await hostProcesses(slirp.pattern)).toEqual([]);
      expect(await exists(cgroup)).toBe(false);
    } finally {
      await withoutPasta.remove();
    }
  });

  test("cleanup kills what the job left running, even a stage the runner gave up on, and removes it", async () => {
    const job: JobSpec = {
      id: 2302,
      image,
      // A process detached twice over (its parent exits at once), then a stage that never ends.
      script: ["(sleep 31403 &)", "sleep 31404"],
    };
    const { step, finish } = await host.startStep(job);
    const cgroup = await cgroupRunning("sleep 31404");
    expect((await processesIn(cgroup)).map((process) => process.cmdline)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("sleep 31403"),
        expect.stringContaining("sleep 31404"),
      ]),
    );
    // gitlab-runner runs cleanup while the stage still runs (it gave up on it): only the cgroup ends it.
    await finish();
    expect(await hostProcesses(/^sleep 3140[34]/)).toEqual([]);
    expect(await exists(cgroup)).toBe(false);
    expect((await step).exitCode).not.toBe(0);
    // Its directory is gone (other tests' jobs on this host may be there).
    expect(
      (await readdir(join(host.stateDir, "jobs"))).filter((name) => name.includes("-job-2302-")),
    ).toEqual([]);
  });

  test("of a runner killed before cleanup is killed and removed by the next prepare", async () => {
    const left: JobSpec = { id: 2303, image, services: [{ name: sleeper }], script: [] };
    const prepared = await host.stage("prepare", left, { runnerExits: true });
    expect(prepared.exitCode, prepared.output).toBe(0);
    const cgroup = await cgroupRunning("sleep 31401");
    const pids = (await processesIn(cgroup)).map((process) => process.pid);
    const relative = cgroup.slice((await cgroup2Mount()).length);
    expect(pids.length).toBeGreaterThan(1);

    const next = await host.runJob({ id: 2304, image, script: ["true"] });
    expect(next.result, next.log).toBe("success");
    expect(next.log).toMatch(/stopping job \S+-job-2303-\S+, left by a runner that is gone/);
    expect(await exists(cgroup)).toBe(false);
    // Each has ended: gone, a zombie its new parent has not reaped yet, or its pid another's since.
    for (const pid of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      const now = await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "");
      expect(state === "" || state === "Z" || !now.includes(relative), `pid ${pid}: ${stat}`).toBe(true);
    }
    expect((await jobCgroups()).filter((dir) => /-job-230[34]-/.test(dir))).toEqual([]);
  });

  test("of a runner killed before cleanup is killed and removed by doctor --cleanup", async () => {
    const left: JobSpec = { id: 2306, image, services: [{ name: sleeper }], script: [] };
    const prepared = await host.stage("prepare", left, { runnerExits: true });
    expect(prepared.exitCode, prepared.output).toBe(0);
    const cgroup = await cgroupRunning("sleep 31401");
    expect(cgroup).toContain("-job-2306-");
    const doctor = await doctorAsRunnerUser(host, "--cleanup");
    expect(doctor.stdout).toMatch(/^polyarch-executor: removed \S+-job-2306-\S+$/m);
    expect(await exists(cgroup)).toBe(false);
    expect(await hostProcesses(/^\/bin\/sleep 31401/)).toEqual([]);
  });

  test("doctor says where jobs get their cgroups and which controllers are there", async () => {
    const result = await doctorAsRunnerUser(host);
    const controllers = delegated.controllers.length > 0 ? delegated.controllers.join(" ") : "none";
    expect(result.stdout).toMatch(/^ok +cgroup limits: each job gets a cgroup of its own under /m);
    expect(result.stdout).toContain(
      `cgroup limits: each job gets a cgroup of its own under ${delegated.dir} (controllers there: ${controllers}); no cpu or memory limit set\n`,
    );
  });
});

describe("cpu and memory with a delegated cgroup", { timeout: JOB_TIMEOUT_MS }, () => {
  test("are refused naming the controllers the delegated cgroup and the root lack, or applied where they have them", async () => {
    const limited = await startRunnerHost(
      { network: "isolated", cpu: "1.5", memory: "512Mi" },
      { cgroup: delegated.runner },
    );
    try {
      const mount = await cgroup2Mount();
      const root = (await readFile(join(mount, "cgroup.controllers"), "utf8")).trim().split(/\s+/);
      const missing = ["cpu", "memory"].filter((name) => !delegated.controllers.includes(name));
      const job: JobSpec = {
        id: 2305,
        image,
        script: ["sleep 31405 & until [ -e /builds/release ]; do sleep 0.1; done; kill $!"],
      };
      if (missing.length > 0) {
        // This host: cgroup v2 has hugetlb alone, cpu and memory are on cgroup v1.
        const run = await limited.runJob(job);
        expect(run.result, run.log).toBe("system_failure");
        const has = delegated.controllers.length > 0 ? delegated.controllers.join(" ") : "none";
        const rootMissing = ["cpu", "memory"].filter((name) => !root.includes(name));
        expect(run.log).toContain(
          `the executor settings ask for cpu: 1.5, memory: 536870912 bytes, which this host cannot enforce: the delegated cgroup ${delegated.dir} has the controllers ${has}, not ${missing.join(" ")}${rootMissing.length > 0 ? `; the cgroup v2 root (${mount}) has ${root.filter(Boolean).join(" ") || "none"}: this host keeps ${rootMissing.join(" ")} on cgroup v1` : ""}\n`,
        );
        expect(run.log).not.toContain("$ until");
        expect((await jobCgroups()).filter((dir) => dir.includes("-job-2305-"))).toEqual([]);
        const doctor = await doctorAsRunnerUser(limited);
        expect(doctor.exitCode).toBe(1);
        expect(doctor.stdout).toMatch(
          /^MISSING cgroup limits: jobs ask for cpu: 1\.5, memory: 536870912 bytes, refused at prepare: the delegated cgroup \S+ has the controllers .*\n +fix: .*Delegate=/m,
        );
      } else {
        // A host whose cgroup v2 has cpu and memory (not this one): the limits are in the job's cgroup.
        const { step, finish } = await limited.startStep(job);
        const cgroup = await cgroupRunning("sleep 31405");
        expect(await readFile(join(cgroup, "cpu.max"), "utf8")).toBe("150000 100000\n");
        expect(await readFile(join(cgroup, "memory.max"), "utf8")).toBe("536870912\n");
        const jobs = join(limited.stateDir, "jobs");
        const release = join(jobs, (await readdir(jobs))[0] as string, "builds", "release");
        await writeFile(release, "");
        expect((await step).exitCode).toBe(0);
        await finish();
      }
    } finally {
      await limited.remove();
    }
  });
});
