import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import type { CgroupFile } from "../host/cgroup.ts";
import type { StageIo } from "../host/io.ts";
import { signal } from "./process.ts";

/*
 * A job's own cgroup v2 (the plan: host/cgroup.ts), made in prepare under the delegated cgroup before
 * anything of the job starts. The job's holder, its connector (pasta or slirp4netns), services and every stage's sandbox join it as
 * they start (joinCgroup in sandbox/argv.ts), so cleanup, a later prepare or `doctor --cleanup` stop
 * all that is left of a job by its cgroup, whatever the records say: a process the job left, one a
 * runner killed mid-prepare never recorded.
 */

/** Every job cgroup's name starts so: a recorded path that does not is never killed or removed. */
const JOB_CGROUP_PREFIX = "polyarch-job-";
const SETTLE_MS = 10_000;

/**
 * Makes the cgroup of the job whose directory is named `jobName` under `parent`: its path recorded in
 * `recordFile` first (so a prepare killed after mkdir leaves nothing unfound), the controllers enabled
 * in the parent, then the limit files written. Returns its directory.
 */
export async function makeJobCgroup(
  plan: { parent: string; enable: readonly string[]; files: readonly CgroupFile[] },
  jobName: string,
  recordFile: string,
  io: Pick<StageIo, "stdout">,
): Promise<string> {
  const dir = join(plan.parent, `${JOB_CGROUP_PREFIX}${jobName}`);
  await writeFile(recordFile, `${dir}\n`, { mode: 0o600 });
  if (plan.enable.length > 0) {
    const control = join(plan.parent, "cgroup.subtree_control");
    await writeFile(control, plan.enable.map((name) => `+${name}`).join(" ")).catch((error: unknown) => {
      throw cgroupFailure(
        `could not enable ${plan.enable.join(" ")} in ${control}`,
        error,
        "the delegated cgroup must hold no process itself (the runner in a subgroup: DelegateSubgroup=runner)",
      );
    });
  }
  await mkdir(dir).catch(async (error: unknown) => {
    const taken = (error as { code?: unknown }).code === "EEXIST";
    // Not this job's: forgotten, so that its cleanup does not kill another executor's job.
    if (taken) await writeFile(recordFile, "", { mode: 0o600 });
    throw cgroupFailure(
      `could not make the job's cgroup ${dir}`,
      error,
      taken
        ? "another executor with the same runner and job ids uses this delegated cgroup; give each its own gitlab-runner unit"
        : "polyarch-executor doctor checks the delegated cgroup",
    );
  });
  for (const file of plan.files) {
    const path = join(dir, file.name);
    // Kernels without swap accounting have no memory.swap.max: the job may then swap beyond memory.
    if (file.name === "memory.swap.max" && !(await exists(path))) {
      io.stdout.write(
        `WARNING: this kernel does not account swap per cgroup (no ${path}): the job may swap beyond its memory limit\n`,
      );
      continue;
    }
    await writeFile(path, file.value).catch((error: unknown) => {
      throw cgroupFailure(
        `could not write ${file.value} to ${path}`,
        error,
        "check the executor's cpu and memory settings",
      );
    });
  }
  return dir;
}

/** The job cgroup recorded in `recordFile`, if prepare got that far and the record names one. */
export async function readRecordedCgroup(recordFile: string): Promise<string | undefined> {
  const dir = (await readFile(recordFile, "utf8").catch(() => "")).trim();
  return basename(dir).startsWith(JOB_CGROUP_PREFIX) ? dir : undefined;
}

/** Freezes what runs in the job's cgroup (Linux 5.2+), so nothing it left writes while its files go. */
export async function freezeJobCgroup(dir: string): Promise<void> {
  if (!(await exists(join(dir, "cgroup.freeze")))) return;
  await writeFile(join(dir, "cgroup.freeze"), "1").catch(() => undefined);
  await settle(dir, "frozen 1");
}

/**
 * Kills everything in the job's cgroup and removes it (never throws for a cgroup already gone):
 * cgroup.kill (Linux 5.14+) kills every process at once, forks included; before it, SIGKILL to each
 * process listed, until none is left.
 */
export async function removeJobCgroup(
  dir: string,
  options: {
    /** false: signal each process, as on kernels before 5.14 (tests). @default true */
    cgroupKill?: boolean;
  } = {},
): Promise<void> {
  if (!(await exists(dir))) return;
  const killed =
    (options.cgroupKill ?? true) &&
    (await writeFile(join(dir, "cgroup.kill"), "1").then(
      () => true,
      () => false,
    ));
  if (!killed) await signalEach(dir);
  if (!(await settle(dir, "populated 0"))) {
    throw new PolyarchError("POLYARCH_E_SANDBOX", `processes of the job's cgroup ${dir} did not end`, {
      hint: `list them with cat ${join(dir, "cgroup.procs")}`,
    });
  }
  await rmdir(dir).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  });
}

/**
 * SIGKILL to every process of the cgroup, again while any is listed. Those of the job's other uids (its
 * subordinate ids on the host) are signalled too: the runner's user owns the job's user namespaces, and
 * a namespace's owner holds every capability in it and in those nested in it, CAP_KILL included.
 */
async function signalEach(dir: string): Promise<void> {
  for (const deadline = Date.now() + SETTLE_MS; Date.now() < deadline; ) {
    const pids = (await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) signal(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the cgroup's cgroup.events holds `line` (the kernel updates it as processes go). */
async function settle(dir: string, line: string): Promise<boolean> {
  for (const deadline = Date.now() + SETTLE_MS; Date.now() < deadline; ) {
    const events = await readFile(join(dir, "cgroup.events"), "utf8").catch(() => undefined);
    if (events === undefined || events.split("\n").includes(line)) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function cgroupFailure(what: string, error: unknown, hint: string): PolyarchError {
  const why = error instanceof Error ? error.message : String(error);
  return new PolyarchError("POLYARCH_E_SANDBOX", `${what}: ${why}`, { hint, cause: error });
}
