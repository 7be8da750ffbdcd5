import { access, constants, readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import type { DoctorCheck } from "./doctor.ts";

/** A job's `cpu` and `memory` settings, as cgroup v2 takes them. */
export interface JobLimits {
  /** CPUs (1.5 → cpu.max "150000 100000"). */
  cpu?: number;
  /** Bytes (memory.max). */
  memoryBytes?: number;
}

export type DelegatedCgroup = { ok: true; dir: string } | { ok: false; reason: string; fix: string };

const DELEGATION_FIX =
  "run gitlab-runner from a systemd unit with Delegate=cpu memory and DelegateSubgroup=runner (systemd 254 or later), or boot with systemd.unified_cgroup_hierarchy=1 where cpu and memory are on cgroup v1; or remove cpu and memory from the executor settings";

/** The controllers `limits` need (pure). */
export function neededControllers(limits: JobLimits): string[] {
  return [
    ...(limits.cpu !== undefined ? ["cpu"] : []),
    ...(limits.memoryBytes !== undefined ? ["memory"] : []),
  ];
}

/**
 * The cgroup v2 directory the runner's user may make job cgroups in: the nearest cgroup above this
 * process's own (which holds the runner, so it cannot enable controllers itself) that the user can
 * write, whose controllers include what `limits` need — what systemd's delegation (Delegate=, with
 * the runner in a subgroup) gives. Else why not, and the fix.
 */
export async function delegatedCgroup(limits: JobLimits): Promise<DelegatedCgroup> {
  const needed = neededControllers(limits);
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  // `id parent major:minor root mountpoint options - fstype source options`
  const mount = mountinfo
    .split("\n")
    .map((line) => line.split(" "))
    .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2")?.[4];
  if (mount === undefined)
    return { ok: false, reason: "this host has no cgroup v2 hierarchy mounted", fix: DELEGATION_FIX };
  const rootControllers = await controllers(mount);
  const absent = needed.filter((name) => !rootControllers.includes(name));
  if (absent.length > 0) {
    return {
      ok: false,
      reason: `cgroup v2 (${mount}) has the controllers ${rootControllers.join(" ") || "none"}, not ${absent.join(" ")}: this host keeps them on cgroup v1`,
      fix: DELEGATION_FIX,
    };
  }
  const own = (await readFile("/proc/self/cgroup", "utf8"))
    .split("\n")
    .find((line) => line.startsWith("0::"));
  const ownDir = own === undefined ? undefined : join(mount, own.slice(3));
  for (let dir = ownDir && dirname(ownDir); dir?.startsWith(mount) && dir !== mount; dir = dirname(dir)) {
    if (!(await writable(dir))) continue;
    const here = await controllers(dir);
    if (needed.every((name) => here.includes(name))) return { ok: true, dir };
  }
  return {
    ok: false,
    reason: `no cgroup above ${ownDir ?? "this process's"} is delegated to ${userInfo().username} with the controllers ${needed.join(" ")}`,
    fix: DELEGATION_FIX,
  };
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

/**
 * Refuses a job whose `cpu` or `memory` this host cannot enforce, with the reason and the fix: a limit
 * is never silently ignored. This executor does not apply limits yet, so even a delegated cgroup is
 * refused, naming it.
 */
export async function refuseUnenforcedLimits(limits: JobLimits): Promise<void> {
  const needed = neededControllers(limits);
  if (needed.length === 0) return;
  const settings = needed.map((name) =>
    name === "cpu" ? `cpu: ${limits.cpu}` : `memory: ${limits.memoryBytes} bytes`,
  );
  const found = await delegatedCgroup(limits);
  throw new PolyarchError(
    "POLYARCH_E_SANDBOX",
    found.ok
      ? `the executor settings ask for ${settings.join(", ")}, but this executor does not apply cgroup limits yet (a delegated cgroup exists: ${found.dir})`
      : `the executor settings ask for ${settings.join(", ")}, which this host cannot enforce: ${found.reason}`,
    { hint: found.ok ? "remove cpu and memory from the executor settings" : found.fix },
  );
}

/** doctor's view of `cpu` and `memory`: only a job setting them fails on a host that cannot enforce them. */
export async function limitsCheck(limits: JobLimits): Promise<DoctorCheck> {
  const asked = neededControllers(limits).length > 0;
  const found = await delegatedCgroup(asked ? limits : { cpu: 1, memoryBytes: 1 });
  const what = asked ? "jobs ask for cpu or memory limits, refused at prepare" : "no cpu or memory limit set";
  return {
    name: "cgroup limits",
    ok: !asked,
    detail: found.ok
      ? `${what}; ${found.dir} is delegated, but this executor does not apply limits yet`
      : `${what}; ${found.reason}`,
    fix: found.ok ? "remove cpu and memory from the executor settings" : found.fix,
  };
}
