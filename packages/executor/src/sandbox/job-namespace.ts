import { type ChildProcess, spawn } from "node:child_process";
import { open, readFile, readlink, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import type { Readable } from "node:stream";
import { PolyarchError } from "@polyarch/errors";
import type { StageIo } from "../host/io.ts";
import { addSubordinateIdsCommand, type IdRange, readFullRange } from "../host/subids.ts";
import { jobFiles } from "../state/layout.ts";
import { enterJobNamespace, joinCgroup, type NamespaceRef } from "./argv.ts";
import {
  type Connector,
  type ConnectorKind,
  connectorArgv,
  isConnectorOf,
  type JobNetwork,
  SLIRP4NETNS_READY_FD,
} from "./connector.ts";
import { runsWith, runTool, signal } from "./process.ts";
import { isolatedResolvConf } from "./resolv-conf.ts";

/**
 * The job's own namespaces, made in prepare and kept until cleanup by a holder process, as rootless
 * Podman's pause process keeps a pod's. With the runner's subordinate ids the holder's user namespace
 * maps 0 to the runner and 1–65535 to them (newuidmap/newgidmap, which bubblewrap cannot do itself:
 * bubblewrap#468); without them it maps the runner to 0 alone. With `network: isolated` the holder has
 * a network namespace of its own too, which its connector (pasta, else slirp4netns: sandbox/connector.ts)
 * connects outwards. Every stage and service of the job enters these namespaces (sandbox/argv.ts).
 */

/** In every holder's command line, so a pid is known to be one before it is signalled. */
const HOLDER_NAME = "polyarch-job-namespace-holder";
const SUBORDINATE = 65535;

/**
 * Runs once the map is written: exec'ing again as the namespace's root gives the holder its
 * capabilities there (exec dropped them while its uid was not mapped). It then makes the nested user
 * namespace bubblewrap joins (bubblewrap cannot join the namespace it starts in), maps it id for id
 * (one line per extent of the holder's map, since a line may not span two), and writes its pid.
 */
const MAPPED_SCRIPT = `unshare --user sleep infinity &
nested=$!
while [ "$(readlink /proc/$nested/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
printf '0 0 1\\n1 1 ${SUBORDINATE}\\n' > /proc/$nested/uid_map || exit 1
printf '0 0 1\\n1 1 ${SUBORDINATE}\\n' > /proc/$nested/gid_map || exit 1
echo "$nested" > "$1"
wait`;
/** Waits for prepare to write the map (a line on stdin), then execs MAPPED_SCRIPT. */
const HOLDER_SCRIPT = 'read -r _ && exec /bin/sh -c "$1" "$0" "$2"';
/** Stays a shell, as MAPPED_SCRIPT does, so HOLDER_NAME stays in its command line for cleanup to find. */
const SINGLE_SCRIPT = 'echo 0 > "$1" || exit 1; sleep infinity & wait';

export interface NamespaceOptions {
  /** The job's directory: the holder's files go there. */
  dir: string;
  /** The runner's subordinate ids, when it has a full range. */
  ids: { uids: IdRange; gids: IdRange } | undefined;
  /** `network: isolated`: a network namespace of its own, connected outwards by this connector. */
  connector: ConnectorKind | undefined;
  /** Host loopback TCP ports the job reaches on its own loopback (pasta -T). */
  hostPorts: readonly number[];
  /** The job's own cgroup (sandbox/job-cgroup.ts): the holder and its connector start in it. */
  cgroup?: string;
  /**
   * Where the namespaces are recorded for cleanup: the holder as soon as it runs (a prepare killed while
   * the ids are mapped or the connector starts leaves it findable), then everything once all is up.
   */
  recordFile?: string;
}

export interface JobNamespace extends NamespaceRef {
  /** With `network: isolated`: what connects it outwards, which cleanup stops. */
  connector?: Connector;
}

/**
 * The job's namespaces for prepare: with subordinate ids, or with `network: isolated`, a holder (its
 * pid written to `recordFile` at once, so cleanup finds it even if prepare dies); else none, as before.
 * Without subordinate ids the job log says what will not work and how to add them.
 */
export async function prepareJobNamespace(
  options: {
    dir: string;
    recordFile: string;
    network: JobNetwork;
    hostPorts: readonly number[];
    cgroup: string | undefined;
  },
  io: StageIo,
): Promise<JobNamespace | undefined> {
  const full = await readFullRange();
  if (full === undefined) {
    io.stdout.write(
      `WARNING: the runner's user has no 65536 subordinate uids and gids in /etc/subuid and /etc/subgid, so every uid in this job maps to the runner's own: chown to another user, su, setgroups (buildah RUN steps, apt's and apk's privilege drops) will fail and files lose their owners. An administrator adds them with: ${addSubordinateIdsCommand(userInfo().username)}\n`,
    );
  }
  const connector = options.network.network === "isolated" ? options.network.connector : undefined;
  if (full === undefined && connector === undefined) return undefined;
  const namespace = await startJobNamespace({
    dir: options.dir,
    ids: full,
    connector,
    hostPorts: options.hostPorts,
    recordFile: options.recordFile,
    ...(options.cgroup !== undefined && { cgroup: options.cgroup }),
  });
  return namespace;
}

/** The namespaces recorded in `recordFile`, if prepare got that far (a record cut short is none). */
export async function readRecordedNamespace(recordFile: string): Promise<JobNamespace | undefined> {
  const text = await readFile(recordFile, "utf8").catch(() => "");
  try {
    return text === "" ? undefined : (JSON.parse(text) as JobNamespace);
  } catch {
    return undefined;
  }
}

/**
 * Removes `dir` as root of the job's namespace while its holder runs: a job with every id leaves
 * directories of other uids (its subordinate ids on the host), which the runner's own uid cannot empty.
 * What remains (no holder) is for the caller's own removal.
 */
export async function removeAsNamespaceRoot(namespace: JobNamespace, dir: string): Promise<void> {
  if (namespace.nestedPid === undefined || !(await runsWith(namespace.holderPid, HOLDER_NAME))) return;
  await runAsNamespaceRoot(namespace, ["rm", "-rf", "--one-file-system", "--", dir]);
}

/** Runs `command` as uid and gid 0 of the namespace's full range (the holder's user namespace). */
export function runAsNamespaceRoot(namespace: NamespaceRef, command: readonly string[]) {
  return runTool(
    {
      file: "nsenter",
      args: [...enterJobNamespace(namespace, false), ...command],
    },
    { env: {} },
  );
}

/**
 * Runs `task` with a namespace of the runner's full range held for it, outside any job (the image
 * cache gives layer owners back, and removes what has them, in one), its holder's files in `dir`.
 */
export async function withFullRangeNamespace<T>(
  ids: { uids: IdRange; gids: IdRange },
  dir: string,
  task: (namespace: JobNamespace) => Promise<T>,
): Promise<T> {
  const namespace = await startJobNamespace({ dir, ids, connector: undefined, hostPorts: [] });
  try {
    return await task(namespace);
  } finally {
    await stopJobNamespace(namespace);
  }
}

/** Stops the namespaces recorded in `recordFile`, if any (a failed prepare; never throws). */
export async function stopRecordedNamespace(recordFile: string): Promise<void> {
  const namespace = await readRecordedNamespace(recordFile);
  if (namespace !== undefined) await stopJobNamespace(namespace);
}

export async function startJobNamespace(options: NamespaceOptions): Promise<JobNamespace> {
  const pidFile = `${options.dir}/namespace.pid`;
  const log = await open(`${options.dir}/namespace.log`, "a", 0o600);
  const full = options.ids !== undefined;
  const unshareArgs = full ? ["--user"] : ["--user", "--map-root-user"];
  const isolated = options.connector !== undefined;
  if (isolated) unshareArgs.push("--net");
  const script = full ? HOLDER_SCRIPT : SINGLE_SCRIPT;
  const scriptArgs = full ? [MAPPED_SCRIPT, pidFile] : [pidFile];
  let holderPid: number;
  // A holder that exits (unshare refused, its cgroup not joined) is reported at once, with its log.
  let holderExited = false;
  try {
    const holder = joinCgroup(
      { file: "unshare", args: [...unshareArgs, "--", "/bin/sh", "-c", script, HOLDER_NAME, ...scriptArgs] },
      options.cgroup,
    );
    const child = spawn(holder.file, holder.args, { stdio: ["pipe", log.fd, log.fd], detached: true });
    child.once("exit", () => {
      holderExited = true;
    });
    holderPid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    if (options.recordFile !== undefined) await record(options.recordFile, { holderPid, isolated });
    await waitForUnshare(holderPid, () => holderExited, `${options.dir}/namespace.log`);
    if (options.ids) {
      await mapIds("newuidmap", holderPid, process.getuid?.() ?? 0, options.ids.uids);
      await mapIds("newgidmap", holderPid, process.getgid?.() ?? 0, options.ids.gids);
      child.stdin?.end("mapped\n");
    } else child.stdin?.end();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } finally {
    await log.close();
  }
  const nested = Number(
    await waitForFile(pidFile, holderPid, `${options.dir}/namespace.log`, () => holderExited),
  );
  const namespace: JobNamespace = {
    holderPid,
    ...(full && { nestedPid: nested }),
    isolated,
  };
  if (options.connector !== undefined) {
    // Recorded as soon as it runs too: slirp4netns outlives the namespaces it serves, so a prepare
    // killed while it comes up must leave it findable.
    namespace.connector = await startConnector(options.connector, options, holderPid, async (connector) => {
      if (options.recordFile !== undefined) await record(options.recordFile, { ...namespace, connector });
    });
    namespace.resolvConf = jobFiles(options.dir).resolvConf;
    const host = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
    await writeFile(namespace.resolvConf, isolatedResolvConf(host, options.connector), { mode: 0o644 });
  }
  if (options.recordFile !== undefined) await record(options.recordFile, namespace);
  return namespace;
}

function record(recordFile: string, namespace: JobNamespace): Promise<void> {
  return writeFile(recordFile, `${JSON.stringify(namespace)}\n`, { mode: 0o600 });
}

/** newuidmap needs the holder in its new namespace: wait until unshare has made it. */
async function waitForUnshare(pid: number, exited: () => boolean, logFile: string): Promise<void> {
  const own = await readlink("/proc/self/ns/user");
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && !exited(); ) {
    const theirs = await readlink(`/proc/${pid}/ns/user`).catch(() => own);
    if (theirs !== own) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw await namespacesFailed(pid, logFile);
}

async function mapIds(
  tool: "newuidmap" | "newgidmap",
  pid: number,
  own: number,
  range: IdRange,
): Promise<void> {
  const args = [String(pid), "0", String(own), "1", "1", String(range.start), String(SUBORDINATE)];
  const result = await runTool({ file: tool, args }, { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    signal(-pid, "SIGKILL");
    throw new PolyarchError("POLYARCH_E_SANDBOX", `${tool} ${args.join(" ")} failed: ${result.tail}`, {
      hint: "polyarch-executor doctor checks newuidmap/newgidmap and the runner's subordinate ids",
    });
  }
}

/**
 * Starts the connector of the holder's network namespace (sandbox/connector.ts) in the job's cgroup,
 * and returns once the namespace's interface is configured: pasta then writes its pid file,
 * slirp4netns writes to its ready descriptor. One that exits first fails at once, with its log.
 * `spawned` gets it as soon as it runs.
 */
async function startConnector(
  kind: ConnectorKind,
  options: NamespaceOptions,
  holderPid: number,
  spawned: (connector: Connector) => Promise<void>,
): Promise<Connector> {
  const pidFile = `${options.dir}/${kind}.pid`;
  const logFile = `${options.dir}/${kind}.log`;
  const log = await open(logFile, "a", 0o600);
  const argv = joinCgroup(
    connectorArgv(kind, { holderPid, hostPorts: options.hostPorts, pidFile }),
    options.cgroup,
  );
  let child: ChildProcess;
  let exited = false;
  try {
    const ready = kind === "slirp4netns" ? (["pipe"] as const) : [];
    child = spawn(argv.file, argv.args, { stdio: ["ignore", log.fd, log.fd, ...ready], detached: true });
    child.once("error", () => undefined);
    child.once("exit", () => {
      exited = true;
    });
    child.unref();
  } finally {
    await log.close();
  }
  if (child.pid !== undefined) await spawned({ kind, pid: child.pid });
  if (kind === "pasta")
    return { kind, pid: Number(await waitForFile(pidFile, holderPid, logFile, () => exited)) };
  const ready = child.stdio[SLIRP4NETNS_READY_FD] as Readable | null | undefined;
  if (child.pid !== undefined && ready && (await readyFd(ready))) return { kind, pid: child.pid };
  if (child.pid !== undefined) signal(child.pid, "SIGKILL");
  throw await namespacesFailed(holderPid, logFile);
}

/** Whether something is written to `ready` before it closes or 30 s pass; closes it either way. */
async function readyFd(ready: Readable): Promise<boolean> {
  const written = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    const settle = (value: boolean) => {
      clearTimeout(timer);
      resolve(value);
    };
    ready.once("data", () => settle(true));
    ready.once("end", () => settle(false));
    ready.once("error", () => settle(false));
  });
  ready.destroy();
  return written;
}

/** The pid `file` holds once the process that writes it is up; fails when it exits first or is late. */
async function waitForFile(
  file: string,
  holderPid: number,
  logFile: string,
  exited: () => boolean,
): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const gone = exited();
    const text = (await readFile(file, "utf8").catch(() => "")).trim();
    if (/^\d+$/.test(text)) return text;
    if (gone) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw await namespacesFailed(holderPid, logFile);
}

/** Stops what came up of the job's namespaces, and says why they did not, from the last lines of `logFile`. */
async function namespacesFailed(holderPid: number, logFile: string): Promise<PolyarchError> {
  signal(-holderPid, "SIGKILL");
  const log = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-5).join("\n");
  return new PolyarchError("POLYARCH_E_SANDBOX", `the job's namespaces did not come up: ${log}`, {
    hint: "run polyarch-executor doctor on this host",
  });
}

/** Stops the holder's process group (its namespaces end with their last process) and its connector. */
export async function stopJobNamespace(namespace: JobNamespace): Promise<void> {
  if (await runsWith(namespace.holderPid, HOLDER_NAME)) signal(-namespace.holderPid, "SIGKILL");
  await stopConnector(namespace);
}

/**
 * Stops the job's connector (pasta or slirp4netns), if it runs. Cleanup does so first: pasta takes tens
 * of milliseconds to exit, which then overlap with the rest of cleanup (a job's cgroup is removed only
 * once it is gone). SIGKILL, since neither keeps anything to flush and a frozen cgroup
 * (sandbox/job-cgroup.ts) lets only that through. slirp4netns outlives the job's namespaces otherwise.
 */
export async function stopConnector(namespace: JobNamespace): Promise<void> {
  const connector = namespace.connector;
  if (connector === undefined) return;
  const cmdline = await readFile(`/proc/${connector.pid}/cmdline`, "utf8").catch(() => "");
  if (isConnectorOf(cmdline, connector.kind, namespace.holderPid)) signal(connector.pid, "SIGKILL");
}
