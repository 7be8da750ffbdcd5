import { access, chmod, chown, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry, type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobImage, pushJobImage } from "./support/images.ts";
import { type RunnerHost, SYSTEM_FAILURE_EXIT_CODE, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// A new user's first try: the executor run as an ordinary user (polyarch-ci), with no settings file
// anywhere and no --settings, nothing set up by root.

let registry: Registry;
let image: string;
const hosts: RunnerHost[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  image = await pushJobImage(registry, "busybox", "1", await jobImage());
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  for (const host of hosts) await host.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

async function host(...args: Parameters<typeof startRunnerHost>): Promise<RunnerHost> {
  const started = await startRunnerHost(...args);
  hosts.push(started);
  return started;
}

describe("polyarch-executor for a new user", { timeout: JOB_TIMEOUT_MS }, () => {
  test("there is no settings file at the default path on this machine (else these tests would read it)", async () => {
    await expect(access("/etc/polyarch/executor.yaml")).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("without settings runs a job, its state under $XDG_STATE_HOME/polyarch-executor", async () => {
    const newcomer = await host(
      {},
      { settingsFile: false, env: (dir) => ({ XDG_STATE_HOME: join(dir, "xdg") }) },
    );
    for (const stage of ["config", "prepare", "run", "cleanup"] as const) {
      expect(newcomer.custom[`${stage}_args`]).not.toContain("--settings");
    }
    const run = await newcomer.runJob({ id: 801, image, script: ["echo ran as $(id -u) in the sandbox"] });
    expect({ result: run.result, stages: run.stages.map((s) => `${s.stage}=${s.exitCode}`) }).toMatchObject({
      result: "success",
    });
    expect(run.log).toContain("ran as 0 in the sandbox");
    const state = join(newcomer.dir, "xdg", "polyarch-executor");
    // cleanup removed the job's directory; the image cache stays, owned by the runner's user.
    expect((await readdir(state)).sort()).toEqual(
      expect.arrayContaining(["jobs", "layers", "locks", "roots"]),
    );
    expect(await readdir(join(state, "jobs"))).toEqual([]);
    expect((await stat(state)).uid).toBe(newcomer.user.uid);
    await expect(access(newcomer.stateDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("without settings or XDG_STATE_HOME, the state goes under ~/.local/state/polyarch-executor", async () => {
    const newcomer = await host({}, { settingsFile: false, env: (dir) => ({ HOME: join(dir, "home") }) });
    const run = await newcomer.runJob({ id: 802, image, script: ["true"] });
    expect(run.result).toBe("success");
    const state = join(newcomer.dir, "home", ".local", "state", "polyarch-executor");
    expect(await readdir(state)).toEqual(expect.arrayContaining(["layers", "roots"]));
  });

  test("a state dir the runner's user cannot create is a system failure naming it and the fix", async () => {
    const rootOwned: TempDir = await tempDir("polyarch-root-owned-");
    try {
      await chmod(rootOwned.path, 0o755);
      const stateDir = join(rootOwned.path, "state");
      const denied = await host({ state_dir: stateDir });
      const prepared = await denied.stage("prepare", { id: 803, image, script: ["true"] });
      expect(prepared.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
      expect(prepared.output).toContain(
        `the executor's state dir ${stateDir} cannot be created or written by uid ${denied.user.uid} (EACCES)`,
      );
      expect(prepared.output).toContain(
        `hint: as root: mkdir -p ${stateDir} && chown <runner user> ${stateDir}`,
      );
      expect(prepared.output).not.toContain("EACCES: permission denied");
    } finally {
      await rootOwned.remove();
    }
  });

  test("any other file-system failure of a stage names the path and the fix, not Node's raw error", async () => {
    const blocked = await host({});
    await mkdir(blocked.stateDir, { mode: 0o700 });
    await chown(blocked.stateDir, blocked.user.uid, blocked.user.gid);
    await mkdir(join(blocked.stateDir, "jobs"), { mode: 0o755 }); // root's: the job's directory cannot go there
    const prepared = await blocked.stage("prepare", { id: 805, image, script: ["true"] });
    expect(prepared.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
    expect(prepared.output).toMatch(
      new RegExp(
        `polyarch-executor: cannot mkdir ${blocked.stateDir}/jobs/runner-7-job-805-\\d+: permission denied \\(EACCES\\)`,
      ),
    );
    expect(prepared.output).toContain(`hint: let uid ${blocked.user.uid} (the runner's user) write there`);
    expect(prepared.output).not.toContain("EACCES: permission denied");
  });

  test("an explicit --settings file that does not exist is still a system failure that names it", async () => {
    const missing = await host({});
    const settings = join(missing.dir, "absent.yaml");
    missing.custom.prepare_args = ["prepare", "--settings", settings];
    const prepared = await missing.stage("prepare", { id: 804, image, script: ["true"] });
    expect(prepared.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
    expect(prepared.output).toContain(`the executor settings file ${settings} cannot be read (ENOENT)`);
    expect(prepared.output).toContain("leave out --settings to take the defaults");
  });
});
