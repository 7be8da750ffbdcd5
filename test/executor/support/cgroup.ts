import { randomBytes } from "node:crypto";
import { access, chown, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HostUser } from "./host-user.ts";

/**
 * systemd's delegation, done by hand on this host's cgroup v2 (as root): a cgroup given to the runner's
 * user (Delegate=: the directory, cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to
 * it), with a `runner` subgroup for the runner's own processes (DelegateSubgroup=runner). The stages
 * start in `runner` (RunnerHostOptions.cgroup), as children of gitlab-runner would.
 */
export interface DelegatedCgroup {
  /** The delegated cgroup, where the executor makes job cgroups. */
  dir: string;
  /** Its `runner` subgroup, where the stages start. */
  runner: string;
  /** The controllers the delegated cgroup has (what the root's subtree_control gives it). */
  controllers: string[];
  /** Kills whatever is left in it and removes it, subgroups first. */
  remove(): Promise<void>;
}

/** Where cgroup v2 is mounted; the tests fail, naming why, on a host without it. */
export async function cgroup2Mount(): Promise<string> {
  const mount = (await readFile("/proc/self/mountinfo", "utf8"))
    .split("\n")
    .map((line) => line.split(" "))
    .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2")?.[4];
  if (mount === undefined) {
    throw new Error(
      "no cgroup v2 hierarchy is mounted on this host: the job cgroup tests need one (mount -t cgroup2 none /sys/fs/cgroup/unified)",
    );
  }
  return mount;
}

const DELEGATED_FILES = ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"];

export async function delegateCgroup(user: HostUser): Promise<DelegatedCgroup> {
  if (process.getuid?.() !== 0) throw new Error("delegating a cgroup takes root, as systemd does it");
  const dir = join(await cgroup2Mount(), `polyarch-test-${randomBytes(4).toString("hex")}`);
  const runner = join(dir, "runner");
  for (const cgroup of [dir, runner]) {
    await mkdir(cgroup);
    for (const file of DELEGATED_FILES) await chown(join(cgroup, file), user.uid, user.gid);
  }
  const controllers = (await readFile(join(dir, "cgroup.controllers"), "utf8")).trim().split(/\s+/);
  return {
    dir,
    runner,
    controllers: controllers.filter(Boolean),
    remove: () => removeCgroup(dir),
  };
}

/** Kills what runs in `dir` and below, and removes them, deepest first. */
async function removeCgroup(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeCgroup(join(dir, entry.name));
  await writeFile(join(dir, "cgroup.kill"), "1").catch(() => undefined);
  for (let tries = 0; tries < 500; tries += 1) {
    const events = await readFile(join(dir, "cgroup.events"), "utf8").catch(() => "populated 0");
    if (events.includes("populated 0")) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await rmdir(dir).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  });
}

/** The host pids in `cgroup` (its cgroup.procs), with each one's command line. */
export async function processesIn(cgroup: string): Promise<Array<{ pid: number; cmdline: string }>> {
  const pids = (await readFile(join(cgroup, "cgroup.procs"), "utf8")).split("\n").filter(Boolean);
  return Promise.all(
    pids.map(async (pid) => ({
      pid: Number(pid),
      cmdline: (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " "),
    })),
  );
}

/** Whether `path` exists. */
export function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
