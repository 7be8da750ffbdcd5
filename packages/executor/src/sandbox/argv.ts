/**
 * The argv that starts one stage of a job in its sandbox (pure: plain data in, argv out; tested as
 * data). bubblewrap gives the stage new user, pid, ipc, uts, mount and cgroup namespaces (and net with
 * `network: none`), no_new_privs, a new session, its own /proc and a minimal /dev; the host's files are
 * invisible except what is bound in. In overlay mode the root is an overlayfs that `unshare` mounts in
 * a user namespace of its own (bubblewrap 0.8 cannot mount overlays): the image's merged tree is the
 * read-only lower layer, the job's writes go to its upper directory.
 */

export interface Bind {
  source: string;
  target: string;
  readOnly: boolean;
}

export type RootPlan =
  | { mode: "overlay"; lower: string; upper: string; work: string; merged: string }
  | { mode: "copy"; rootfs: string };

export interface SandboxPlan {
  root: RootPlan;
  binds: readonly Bind[];
  user: { uid: number; gid: number };
  /** `NAME=value` entries, in order; later ones win. */
  env: readonly string[];
  workingDir: string;
  hostname: string;
  network: "host" | "none";
  command: readonly string[];
  /** The descriptor bubblewrap reports `child-pid` and `exit-code` on (JSON); a service has none. */
  statusFd?: number;
  /** The `/etc/hosts` to bind instead of the host's (the job's services' aliases added to it). */
  hostsFile?: string;
}

export interface Argv {
  file: string;
  args: string[];
}

/** Mounts the overlay from positional arguments (never interpolated), then execs the rest. */
const OVERLAY_SCRIPT = 'mount -t overlay overlay -o "$1" "$2" && shift 2 && exec "$@"';

/** Overlay's option syntax separates with `,` and `:`; paths holding them cannot be expressed. */
export function overlayOptions(root: Extract<RootPlan, { mode: "overlay" }>): string {
  for (const path of [root.lower, root.upper, root.work]) {
    if (/[,:\\]/.test(path)) throw new Error(`overlay path ${path} contains , : or \\`);
  }
  return `lowerdir=${root.lower},upperdir=${root.upper},workdir=${root.work},userxattr`;
}

/** `unshare` mounting the overlay in a user namespace of its own, then exec'ing `command` there. */
function behindOverlay(root: Extract<RootPlan, { mode: "overlay" }>, command: readonly string[]): Argv {
  return {
    file: "unshare",
    args: [
      "--user",
      "--map-root-user",
      "--mount",
      "--",
      "/bin/sh",
      "-c",
      OVERLAY_SCRIPT,
      "polyarch-overlay",
      overlayOptions(root),
      root.merged,
      ...command,
    ],
  };
}

/** The probe that tells whether this kernel lets an unprivileged user mount an overlay. */
export function overlayProbeArgv(root: Extract<RootPlan, { mode: "overlay" }>): Argv {
  return behindOverlay(root, ["true"]);
}

export function bwrapArgs(plan: SandboxPlan): string[] {
  const rootSource = plan.root.mode === "overlay" ? plan.root.merged : plan.root.rootfs;
  const args = [
    "--unshare-all",
    ...(plan.network === "host" ? ["--share-net"] : []),
    "--unshare-user",
    "--die-with-parent",
    "--new-session",
    "--bind",
    rootSource,
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
  ];
  if (plan.network === "host") {
    args.push(
      "--ro-bind-try",
      "/etc/resolv.conf",
      "/etc/resolv.conf",
      "--ro-bind-try",
      plan.hostsFile ?? "/etc/hosts",
      "/etc/hosts",
    );
  }
  for (const bind of plan.binds) args.push(bind.readOnly ? "--ro-bind" : "--bind", bind.source, bind.target);
  args.push("--uid", String(plan.user.uid), "--gid", String(plan.user.gid), "--hostname", plan.hostname);
  args.push("--clearenv");
  for (const entry of plan.env) {
    const equals = entry.indexOf("=");
    if (equals <= 0) continue;
    args.push("--setenv", entry.slice(0, equals), entry.slice(equals + 1));
  }
  args.push("--chdir", plan.workingDir);
  if (plan.statusFd !== undefined) args.push("--json-status-fd", String(plan.statusFd));
  args.push("--", ...plan.command);
  return args;
}

/** The whole argv: bwrap directly (copy mode), or behind the overlay mount (overlay mode). */
export function sandboxArgv(plan: SandboxPlan): Argv {
  const bwrap = bwrapArgs(plan);
  if (plan.root.mode === "copy") return { file: "bwrap", args: bwrap };
  return behindOverlay(plan.root, ["bwrap", ...bwrap]);
}
