/**
 * The argv that starts one stage of a job in its sandbox (pure: plain data in, argv out; tested as
 * data). bubblewrap gives the stage new user, pid, ipc, uts, mount and cgroup namespaces (and net with
 * `network: none`), no_new_privs, a new session, its own /proc and a minimal /dev; the host's files are
 * invisible except what is bound in. In overlay mode the root is an overlayfs that `unshare` mounts in
 * a user namespace of its own (bubblewrap 0.8 cannot mount overlays): the image's merged tree is the
 * read-only lower layer, the job's writes go to its upper directory.
 * With the job's own namespaces (sandbox/job-namespace.ts) all of it runs inside them: `nsenter` enters
 * the holder's user (and network) namespace as its root, `unshare --mount` mounts the overlay there.
 */

export interface Bind {
  source: string;
  target: string;
  readOnly: boolean;
}

export type RootPlan =
  | { mode: "overlay"; lower: string; upper: string; work: string; merged: string }
  | { mode: "copy"; rootfs: string };

/**
 * The job's own namespaces, made in prepare and kept by a holder process (sandbox/job-namespace.ts):
 * a user namespace mapping 0 to the runner and 1–65535 to its subordinate ids, and with
 * `network: isolated` a network namespace of its own.
 */
export interface NamespaceRef {
  /** The holder, whose user (and with `isolated` network) namespace the job's stages enter. */
  holderPid: number;
  /** With subordinate ids: a child user namespace of the holder's with the same ids, which bubblewrap joins as root. */
  nestedPid?: number;
  /** Whether the holder has a network namespace of its own (`network: isolated`). */
  isolated: boolean;
  /** With `isolated`: the job's `/etc/resolv.conf`, naming its connector's DNS forwarder (sandbox/resolv-conf.ts). */
  resolvConf?: string;
}

export type Network = "host" | "none" | "isolated";

export interface SandboxPlan {
  root: RootPlan;
  /** The job's full-range namespaces; without them, bubblewrap maps the runner's one uid. */
  namespace?: NamespaceRef;
  binds: readonly Bind[];
  user: { uid: number; gid: number };
  /** `NAME=value` entries, in order; later ones win. */
  env: readonly string[];
  workingDir: string;
  hostname: string;
  network: Network;
  command: readonly string[];
  /** The descriptor bubblewrap reports `child-pid` and `exit-code` on (JSON); a service has none. */
  statusFd?: number;
  /** The `/etc/hosts` to bind instead of the host's (the job's services' aliases added to it). */
  hostsFile?: string;
  /** The job's own cgroup (sandbox/job-cgroup.ts), which the sandbox joins before anything runs. */
  cgroup?: string;
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

/** The descriptor the job-namespace script opens the nested user namespace on, for `bwrap --userns`. */
const NESTED_USERNS_FD = 5;

/**
 * Whether bubblewrap joins the job's full-range namespace as root (`--userns`). bubblewrap 0.8 switches
 * to `--uid` before it mounts anything, so a user other than root would lose the capabilities the
 * mounts need: such a job gets a one-uid namespace of its own inside the job's (its uid and gid map to
 * root of the job's namespace, the runner's own uid on the host, as without subordinate ids).
 */
function joinsAsRoot(plan: SandboxPlan): boolean {
  return plan.namespace?.nestedPid !== undefined && plan.user.uid === 0;
}

function namespaceArgs(plan: SandboxPlan): string[] {
  const shareNet = plan.network !== "none";
  if (joinsAsRoot(plan)) {
    return [
      "--userns",
      String(NESTED_USERNS_FD),
      "--unshare-ipc",
      "--unshare-pid",
      "--unshare-uts",
      "--unshare-cgroup-try",
      ...(shareNet ? [] : ["--unshare-net"]),
    ];
  }
  // Inside the job's namespace bubblewrap starts as its root: drop every capability for the job's user.
  const dropCaps = plan.namespace !== undefined && plan.user.uid !== 0 ? ["--cap-drop", "ALL"] : [];
  return ["--unshare-all", ...(shareNet ? ["--share-net"] : []), "--unshare-user", ...dropCaps];
}

export function bwrapArgs(plan: SandboxPlan): string[] {
  const rootSource = plan.root.mode === "overlay" ? plan.root.merged : plan.root.rootfs;
  const args = [
    ...namespaceArgs(plan),
    "--die-with-parent",
    "--new-session",
    "--bind",
    rootSource,
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // buildah's chroot isolation bind-mounts /sys into each RUN step, as Docker and Podman give
    // containers a read-only one; jobs that hold every id (where RUN steps work) see the host's.
    ...(joinsAsRoot(plan) ? ["--ro-bind", "/sys", "/sys"] : []),
  ];
  if (plan.network !== "none") {
    args.push(
      "--ro-bind-try",
      plan.namespace?.resolvConf ?? "/etc/resolv.conf",
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

/**
 * Inside the job's namespace as its root: mounts the overlay when given one, opens the nested user
 * namespace for `bwrap --userns` when given one, then execs the rest (positional, never interpolated).
 */
const IN_NAMESPACE_SCRIPT = `if [ -n "$1" ]; then mount -t overlay overlay -o "$1" "$2" || exit 1; fi
if [ -n "$3" ]; then exec ${NESTED_USERNS_FD}<"$3" || exit 1; fi
shift 3 && exec "$@"`;

/**
 * `nsenter`'s arguments up to `--` that enter the job's user namespace, and with `net` an isolated job's
 * network namespace, as the namespace's root (pure): every tool the executor runs inside a job's
 * namespaces enters them this way.
 */
export function enterJobNamespace(namespace: NamespaceRef, net: boolean): string[] {
  const holder = `/proc/${namespace.holderPid}/ns`;
  return [
    `--user=${holder}/user`,
    ...(net && namespace.isolated ? [`--net=${holder}/net`] : []),
    // A one-uid namespace denies setgroups, which --setgid calls; there the runner already is its root.
    ...(namespace.nestedPid === undefined ? ["--preserve-credentials"] : ["--setuid=0", "--setgid=0"]),
    "--",
  ];
}

/**
 * Enters the job's namespaces as their root (nsenter), in a mount namespace of its own for the overlay
 * (unshare), then runs bubblewrap (pure).
 */
function inJobNamespace(plan: SandboxPlan, namespace: NamespaceRef, bwrap: string[]): Argv {
  const overlay = plan.root.mode === "overlay" ? [overlayOptions(plan.root), plan.root.merged] : ["", ""];
  const nested = joinsAsRoot(plan) ? `/proc/${namespace.nestedPid}/ns/user` : "";
  return {
    file: "nsenter",
    args: [
      ...enterJobNamespace(namespace, true),
      "unshare",
      "--mount",
      "--",
      "/bin/sh",
      "-c",
      IN_NAMESPACE_SCRIPT,
      "polyarch-job-namespace",
      ...overlay,
      nested,
      "bwrap",
      ...bwrap,
    ],
  };
}

/**
 * The whole argv: in the job's namespaces when it has them; else bwrap directly (copy mode), or behind
 * the overlay mount (overlay mode); in the job's cgroup when it has one.
 */
export function sandboxArgv(plan: SandboxPlan): Argv {
  const bwrap = bwrapArgs(plan);
  const argv =
    plan.namespace !== undefined
      ? inJobNamespace(plan, plan.namespace, bwrap)
      : plan.root.mode === "copy"
        ? { file: "bwrap", args: bwrap }
        : behindOverlay(plan.root, ["bwrap", ...bwrap]);
  return joinCgroup(argv, plan.cgroup);
}

/**
 * The shell writes its own pid to the cgroup's cgroup.procs, then execs `argv` (same process): nothing
 * it starts, and no code of the job, ever runs outside the cgroup. Writing a child's pid after spawn
 * would race with its first fork. A write that fails stops it there, with the shell's message.
 */
const JOIN_CGROUP_SCRIPT = 'echo $$ > "$1" && shift && exec "$@"';

/** `argv` started inside `cgroup`, when the job has one (pure). */
export function joinCgroup(argv: Argv, cgroup: string | undefined): Argv {
  if (cgroup === undefined) return argv;
  return {
    file: "/bin/sh",
    args: [
      "-c",
      JOIN_CGROUP_SCRIPT,
      "polyarch-join-cgroup",
      `${cgroup}/cgroup.procs`,
      argv.file,
      ...argv.args,
    ],
  };
}
