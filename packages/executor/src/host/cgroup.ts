import { access, constants, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import type { DoctorCheck } from "./doctor.ts";

/*
 * Where jobs get cgroups of their own, and what limits there mean. systemd's delegation (Delegate= on
 * gitlab-runner's unit, the runner itself in a subgroup: DelegateSubgroup=runner) gives the runner's
 * user a cgroup v2 directory it may make sub-cgroups in and move its own processes between. Each job
 * then gets `<delegated>/polyarch-job-<job>` (sandbox/job-cgroup.ts), and `cpu`/`memory` are written
 * there before anything of the job joins. Without delegation, jobs run in the runner's cgroup, as
 * before; a limit that cannot be enforced is refused with the reason, never ignored.
 */

/** A job's `cpu` and `memory` settings, as cgroup v2 takes them. */
export interface JobLimits {
  /** CPUs (1.5 → cpu.max "150000 100000"). */
  cpu?: number;
  /** Bytes (memory.max). */
  memoryBytes?: number;
}

/** What this host's cgroup v2 offers the executor's process (read by `readCgroupHost`). */
export interface CgroupHost {
  /** Where the cgroup v2 hierarchy is mounted, if it is. */
  mount?: string;
  /** The controllers at its root (cgroup.controllers); those bound to cgroup v1 are absent. */
  rootControllers: string[];
  /** This process's cgroup, as a directory under `mount`. */
  own?: string;
  /** The nearest cgroup above `own` that the user may make cgroups in, and its controllers. */
  delegated?: { dir: string; controllers: string[] };
  /** The runner's user, for messages. */
  user: string;
}

/** One file of a job's cgroup, written before anything joins it. */
export interface CgroupFile {
  name: string;
  value: string;
}

/** How this host gives a job a cgroup (pure: `planJobCgroup`). */
export type JobCgroupPlan =
  /** No delegated cgroup and no limit asked: the job runs in the runner's cgroup, as before. */
  | { kind: "none"; why: string }
  /** A limit is asked that this host cannot enforce. */
  | { kind: "refused"; reason: string; fix: string }
  /** A cgroup of the job's own under `parent`, with `enable` turned on in the parent first. */
  | { kind: "own"; parent: string; controllers: string[]; enable: string[]; files: CgroupFile[] };

/** The period cpu.max is written with: the kernel's default, 100 ms. */
export const CPU_PERIOD_MICROSECONDS = 100_000;

/** cpu.max for `cpus` CPUs: "<quota> <period>" in microseconds, 1.5 → "150000 100000" (pure). */
export function cpuMax(cpus: number): string {
  return `${Math.round(cpus * CPU_PERIOD_MICROSECONDS)} ${CPU_PERIOD_MICROSECONDS}`;
}

/** The controllers `limits` need (pure). */
export function neededControllers(limits: JobLimits): string[] {
  return [
    ...(limits.cpu !== undefined ? ["cpu"] : []),
    ...(limits.memoryBytes !== undefined ? ["memory"] : []),
  ];
}

/**
 * The files that apply `limits` (pure). memory.swap.max is 0: the job's memory is what it asks for,
 * swap included, so a job over it is stopped by the OOM killer rather than pushing the host into swap.
 */
export function limitFiles(limits: JobLimits): CgroupFile[] {
  return [
    ...(limits.cpu !== undefined ? [{ name: "cpu.max", value: cpuMax(limits.cpu) }] : []),
    ...(limits.memoryBytes !== undefined
      ? [
          { name: "memory.max", value: String(limits.memoryBytes) },
          { name: "memory.swap.max", value: "0" },
        ]
      : []),
  ];
}

const DELEGATE_FIX =
  "run gitlab-runner from a systemd unit with Delegate=yes (Delegate=cpu memory for limits) and DelegateSubgroup=runner (systemd 254 or later), so that its user may make cgroups beside the runner's";
const UNIFIED_FIX = "boot with systemd.unified_cgroup_hierarchy=1 so that cpu and memory move to cgroup v2";
const REMOVE_FIX = "or remove cpu and memory from the executor settings";

/** Controllers as a person reads them: "cpu memory", or "none". */
function listed(controllers: readonly string[]): string {
  return controllers.length > 0 ? controllers.join(" ") : "none";
}

/**
 * How this host gives a job with `limits` a cgroup (pure): its own under the delegated cgroup when
 * there is one and it has every controller the limits need; none (as before) without delegation and
 * without limits; else refused, with the reason and the fix.
 */
export function planJobCgroup(host: CgroupHost, limits: JobLimits): JobCgroupPlan {
  const needed = neededControllers(limits);
  const notAtRoot = needed.filter((name) => !host.rootControllers.includes(name));
  const v1 =
    host.mount !== undefined && notAtRoot.length > 0
      ? `; the cgroup v2 root (${host.mount}) has ${listed(host.rootControllers)}: this host keeps ${notAtRoot.join(" ")} on cgroup v1`
      : "";
  const fix = [notAtRoot.length > 0 ? UNIFIED_FIX : undefined, DELEGATE_FIX, REMOVE_FIX]
    .filter(Boolean)
    .join("; ");
  if (host.delegated === undefined) {
    const why =
      host.mount === undefined
        ? "this host has no cgroup v2 hierarchy mounted"
        : `no cgroup above ${host.own ?? "this process's"} is delegated to ${host.user} (writable by it)`;
    return needed.length === 0 ? { kind: "none", why } : { kind: "refused", reason: `${why}${v1}`, fix };
  }
  const { dir, controllers } = host.delegated;
  const absent = needed.filter((name) => !controllers.includes(name));
  if (absent.length > 0) {
    return {
      kind: "refused",
      reason: `the delegated cgroup ${dir} has the controllers ${listed(controllers)}, not ${absent.join(" ")}${v1}`,
      fix,
    };
  }
  return { kind: "own", parent: dir, controllers, enable: needed, files: limitFiles(limits) };
}

/** The limits as the settings gave them, for messages: "cpu: 1.5, memory: 536870912 bytes". */
export function describeLimits(limits: JobLimits): string {
  return [
    ...(limits.cpu !== undefined ? [`cpu: ${limits.cpu}`] : []),
    ...(limits.memoryBytes !== undefined ? [`memory: ${limits.memoryBytes} bytes`] : []),
  ].join(", ");
}

/**
 * This host's plan for a job's cgroup (prepare), refusing a job whose `cpu` or `memory` this host
 * cannot enforce, with the reason and the fix: a limit is never silently ignored.
 */
export async function jobCgroupPlan(
  limits: JobLimits,
  user: string,
): Promise<Exclude<JobCgroupPlan, { kind: "refused" }>> {
  const plan = planJobCgroup(await readCgroupHost(user), limits);
  if (plan.kind !== "refused") return plan;
  throw new PolyarchError(
    "POLYARCH_E_SANDBOX",
    `the executor settings ask for ${describeLimits(limits)}, which this host cannot enforce: ${plan.reason}`,
    { hint: plan.fix },
  );
}

/** doctor's view (pure): whether jobs get a cgroup of their own, where, with which controllers. */
export function cgroupCheck(host: CgroupHost, limits: JobLimits): DoctorCheck {
  const plan = planJobCgroup(host, limits);
  const asked = describeLimits(limits);
  switch (plan.kind) {
    case "refused":
      return {
        name: "cgroup limits",
        ok: false,
        detail: `jobs ask for ${asked}, refused at prepare: ${plan.reason}`,
        fix: plan.fix,
      };
    case "none":
      return {
        name: "cgroup limits",
        ok: true,
        detail: `no cpu or memory limit set; jobs run in the runner's own cgroup: ${plan.why}`,
        fix: DELEGATE_FIX,
      };
    case "own":
      return {
        name: "cgroup limits",
        ok: true,
        detail: `each job gets a cgroup of its own under ${plan.parent} (controllers there: ${listed(plan.controllers)}); ${asked === "" ? "no cpu or memory limit set" : `${asked} applied to each`}`,
      };
  }
}

/**
 * This host's cgroup v2 as the executor's process sees it. The delegated cgroup is looked for above
 * this process's own (which holds the runner, so it can enable no controller itself): the nearest one
 * whose directory, cgroup.procs and cgroup.subtree_control the user may write.
 */
export async function readCgroupHost(user: string): Promise<CgroupHost> {
  const mount = await cgroup2Mount();
  if (mount === undefined) return { rootControllers: [], user };
  const rootControllers = await controllers(mount);
  const line = (await readFile("/proc/self/cgroup", "utf8").catch(() => ""))
    .split("\n")
    .find((entry) => entry.startsWith("0::"));
  if (line === undefined) return { mount, rootControllers, user };
  const own = join(mount, line.slice(3));
  for (let dir = dirname(own); dir.startsWith(mount) && dir !== mount; dir = dirname(dir)) {
    if (await writable(dir)) {
      return { mount, rootControllers, own, delegated: { dir, controllers: await controllers(dir) }, user };
    }
  }
  return { mount, rootControllers, own, user };
}

/** Where this process sees the cgroup v2 hierarchy mounted (/proc/self/mountinfo), if it is. */
export async function cgroup2Mount(): Promise<string | undefined> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  // `id parent major:minor root mountpoint options - fstype source options`
  return mountinfo
    .split("\n")
    .map((line) => line.split(" "))
    .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2")?.[4];
}

async function controllers(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, "cgroup.controllers"), "utf8").catch(() => "");
  return text.trim().split(/\s+/).filter(Boolean);
}

async function writable(dir: string): Promise<boolean> {
  for (const path of [dir, join(dir, "cgroup.procs"), join(dir, "cgroup.subtree_control")]) {
    if (
      !(await access(path, constants.W_OK).then(
        () => true,
        () => false,
      ))
    )
      return false;
  }
  return true;
}
