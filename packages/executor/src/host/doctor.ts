import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { isPolyarchError, type PolyarchError } from "@polyarch/errors";
import { emulatedArchitectures, readBinfmtHandlers } from "@polyarch/oci";
import { removeTree } from "../layers/tree-fs.ts";
import { overlayProbeArgv } from "../sandbox/argv.ts";
import { runTool } from "../sandbox/process.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import { findLeftJobs, type LeftJob } from "../state/job-owner.ts";
import { doctorProbeDir } from "../state/layout.ts";
import { ensureStateDir } from "../state/state-dir.ts";
import { cgroupCheck, readCgroupHost } from "./cgroup.ts";
import { isolationChecks } from "./isolation-checks.ts";

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check fails. */
  fix?: string;
}

/** Checks what the executor needs on this host; every check runs, the report says what to fix. */
export async function doctor(settings: ExecutorSettings): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const uid = process.getuid?.() ?? -1;
  checks.push({
    name: "user",
    ok: uid !== 0,
    detail: uid === 0 ? "running as root" : `running as uid ${uid}`,
    fix: "run gitlab-runner (and so the executor) as an ordinary user, e.g. gitlab-runner",
  });
  const version = await runTool({ file: "bwrap", args: ["--version"] });
  checks.push({
    name: "bubblewrap",
    ok: version.exitCode === 0,
    detail: version.exitCode === 0 ? version.tail : "bwrap not found",
    fix: "apt-get install bubblewrap (or dnf install bubblewrap)",
  });
  const userns = await runTool({
    file: "bwrap",
    args: ["--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "true"],
  });
  checks.push({
    name: "user namespaces",
    ok: userns.exitCode === 0,
    detail: userns.exitCode === 0 ? "bwrap can create unprivileged user namespaces" : userns.tail,
    fix: "sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or user.max_user_namespaces=15000; on Ubuntu 24.04 allow bwrap in AppArmor (kernel.apparmor_restrict_unprivileged_userns=0)",
  });
  let stateProblem: PolyarchError | undefined;
  try {
    await ensureStateDir(settings.stateDir);
  } catch (error: unknown) {
    if (!isPolyarchError(error)) throw error;
    stateProblem = error;
  }
  const stateOk = stateProblem === undefined;
  checks.push({
    name: "state dir",
    ok: stateOk,
    detail: stateProblem?.message ?? `${settings.stateDir} is writable`,
    fix: stateProblem?.hint ?? "",
  });
  if (stateOk) {
    const probe = doctorProbeDir(settings.stateDir, randomBytes(4).toString("hex"));
    const dirs = ["lower", "upper", "work", "merged"].map((name) => join(probe, name));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    const [lower, upper, work, merged] = dirs as [string, string, string, string];
    const overlay = await runTool(overlayProbeArgv({ mode: "overlay", lower, upper, work, merged }));
    await removeTree(probe);
    checks.push(overlayCheck(overlay, settings.root));
  }
  const handlers = await readBinfmtHandlers();
  const emulated = emulatedArchitectures(handlers ?? []);
  checks.push({
    name: "binfmt",
    ok: !settings.emulation || emulated.length > 0,
    detail:
      emulated.length > 0
        ? `can emulate ${emulated.join(", ")}`
        : handlers === undefined
          ? "binfmt_misc is not mounted"
          : "no enabled QEMU binfmt_misc handler",
    fix: "apt-get install qemu-user-static binfmt-support (handlers registered with the F flag work inside sandboxes)",
  });
  checks.push(...(await isolationChecks(settings)));
  checks.push(cgroupCheck(await readCgroupHost(userInfo().username), settings.limits));
  if (stateOk) checks.push(leftJobsCheck(await findLeftJobs(settings.stateDir)));
  return checks;
}

/** Jobs whose runner died before `cleanup`, with their services and namespaces still running (pure). */
export function leftJobsCheck(left: readonly LeftJob[]): DoctorCheck {
  return {
    name: "left jobs",
    ok: left.length === 0,
    detail:
      left.length === 0
        ? "no job left by a runner that is gone"
        : `${left.length} left by a runner that is gone, with their services and namespaces: ${left.map((job) => `${job.dir} (runner pid ${job.ownerPid})`).join(", ")}`,
    fix: "polyarch-executor doctor --cleanup stops and removes them (the next prepare on this host does too)",
  };
}

/**
 * The overlay check, by the rule the job's root is made by (sandbox/root.ts): without unprivileged
 * overlayfs, `root: auto` and `root: copy` give each job a copy of its image, and only `root: overlay`
 * fails its jobs (pure).
 */
export function overlayCheck(
  probe: { exitCode: number; tail: string },
  root: ExecutorSettings["root"],
): DoctorCheck {
  const works = probe.exitCode === 0;
  return {
    name: "overlay",
    ok: works || root !== "overlay",
    detail: works
      ? "unprivileged overlayfs works: jobs start without copying"
      : root === "overlay"
        ? `no unprivileged overlayfs (${probe.tail}), and root: overlay allows nothing else`
        : `no unprivileged overlayfs (${probe.tail}); jobs get a copy of their image (root: ${root})`,
    fix: "Linux 5.11 or later mounts overlayfs in user namespaces; or set root: auto (or copy) to copy each job's image",
  };
}

export function formatDoctor(checks: readonly DoctorCheck[]): string {
  return checks
    .map(
      (check) =>
        `${check.ok ? "ok     " : "MISSING"} ${check.name}: ${check.detail}${check.ok || !check.fix ? "" : `\n        fix: ${check.fix}`}`,
    )
    .join("\n")
    .concat("\n");
}
