import { spawn } from "node:child_process";
import { open, readdir, readFile } from "node:fs/promises";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { redactText } from "@polyarch/errors";
import type { Argv } from "./argv.ts";

/**
 * The one module that starts processes for the executor: the sandboxes of job stages, and short
 * tools (cp, the overlay probe, the namespace helpers). It owns their timeouts, signals (a stage's whole tree gets
 * SIGTERM, then SIGKILL after a grace) and the scrubbing of what it quotes from them.
 */

export interface ToolResult {
  exitCode: number;
  /** The last lines of stderr and stdout, scrubbed. */
  tail: string;
}

/** The descriptor a stage's sandbox reports its status on (SandboxPlan.statusFd). */
export const STATUS_FD = 3;
const TOOL_TIMEOUT_MS = 30 * 60_000;
const TAIL_LINES = 5;

/**
 * Runs a short tool to completion; never throws for a non-zero exit (the caller judges it). With `env`,
 * the tool gets that environment alone (with PATH added), not the stage's (which holds the job's
 * variables and token): for tools run inside a job's namespaces.
 * node:child_process rather than execa, as for stages: prepare and cleanup run tools on every job
 * (newuidmap, nsenter, pasta), and loading execa costs about 75 ms of the job's start.
 */
export function runTool(
  argv: Argv,
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(argv.file, argv.args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.env !== undefined && {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
      }),
    });
    // stdout and stderr in the order they came, as one text.
    const output: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? TOOL_TIMEOUT_MS);
    const tail = () =>
      redactText(Buffer.concat(output).toString("utf8")).trim().split("\n").slice(-TAIL_LINES).join("\n");
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, tail: `${argv.file}: ${error.message}` });
    });
    child.once("close", (code, signalName) => {
      clearTimeout(timer);
      if (timedOut) resolve({ exitCode: 124, tail: `${argv.file} timed out\n${tail()}` });
      else if (code !== null) resolve({ exitCode: code, tail: tail() });
      else
        resolve({
          exitCode: 128 + (constants.signals[signalName as NodeJS.Signals] ?? 0),
          tail: `${argv.file} was killed by ${signalName}\n${tail()}`,
        });
    });
  });
}

export type StageOutcome =
  /** The sandbox started the script; `exitCode` is the script's own. */
  | { kind: "exited"; exitCode: number }
  /** The sandbox itself failed before the script started (bubblewrap printed why on stderr). */
  | { kind: "sandbox-failed"; exitCode: number }
  /** SIGTERM reached the executor; the stage's processes were stopped. */
  | { kind: "terminated" };

export interface StageOptions {
  /** Seconds between SIGTERM to the job's processes and SIGKILL. */
  graceSeconds: number;
  /** Where SIGTERM comes from; the executor's own process by default. */
  signals?: NodeJS.EventEmitter;
}

/**
 * Runs one stage's sandbox with the executor's stdout and stderr (the job log), in a process group of
 * its own. bubblewrap reports `child-pid` once the script is about to start and `exit-code` when it
 * ends, which tells the script's failure from the sandbox's.
 */
export async function runStage(argv: Argv, options: StageOptions): Promise<StageOutcome> {
  // node:child_process rather than execa here: this runs once per stage of every job, and loading
  // execa costs about 75 ms, a quarter of a warm job start; the stage needs no more than spawn.
  const child = spawn(argv.file, argv.args, {
    stdio: ["ignore", "inherit", "inherit", "pipe"],
    detached: true,
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, error }));
    child.once("close", (code) => resolve({ code }));
  });
  const status: { childPid?: number; exitCode?: number } = {};
  const statusStream = child.stdio[STATUS_FD] as Readable | null;
  const reading = statusStream ? readStatus(statusStream, status) : Promise.resolve();
  const signals = options.signals ?? process;
  let terminated = false;
  const onTerm = () => {
    terminated = true;
    void stopTree(child.pid, options.graceSeconds, exited);
  };
  signals.on("SIGTERM", onTerm);
  try {
    const result = await exited;
    await reading;
    if (terminated) return { kind: "terminated" };
    if (result.error !== undefined) return { kind: "sandbox-failed", exitCode: 127 };
    if (status.childPid === undefined) return { kind: "sandbox-failed", exitCode: result.code ?? 1 };
    return { kind: "exited", exitCode: status.exitCode ?? result.code ?? 1 };
  } finally {
    signals.off("SIGTERM", onTerm);
  }
}

async function readStatus(stream: Readable, status: { childPid?: number; exitCode?: number }): Promise<void> {
  for await (const line of createInterface({ input: stream })) {
    try {
      const message = JSON.parse(line) as { "child-pid"?: unknown; "exit-code"?: unknown };
      if (typeof message["child-pid"] === "number") status.childPid = message["child-pid"];
      if (typeof message["exit-code"] === "number") status.exitCode = message["exit-code"];
    } catch {
      // bubblewrap writes one JSON document per line; anything else is not status.
    }
  }
}

/** The name a service's keeper shell runs under, so cleanup can tell its process from a reused pid. */
/** In every service keeper's command line, so a pid is known to be one (services/ports.ts reads it too). */
export const KEEPER_MARKER = "polyarch-service";

/**
 * Starts a service's sandbox to outlive this process: a shell (its own session and process group)
 * that starts the sandbox and waits for it, so that bubblewrap's `--die-with-parent` ties the sandbox
 * to the shell, and stopping the shell's group stops all of it. Output goes to `logFile`. Returns the
 * shell's pid, which is its process group.
 */
export async function startDetached(argv: Argv, logFile: string): Promise<number> {
  const log = await open(logFile, "a", 0o600);
  try {
    const child = spawn("/bin/sh", ["-c", '"$@" & wait $!', KEEPER_MARKER, argv.file, ...argv.args], {
      stdio: ["ignore", log.fd, log.fd],
      detached: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/**
 * Whether `pid` runs with every one of `markers` in its command line: a pid may have been reused since
 * it was recorded, and an exited process has no command line.
 */
export async function runsWith(pid: number, ...markers: string[]): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline !== "" && markers.every((marker) => cmdline.includes(marker));
}

/** Whether `pid` is a running keeper, and with `marker`, the one whose command line holds it. */
function isKeeper(pid: number, marker?: string): Promise<boolean> {
  return runsWith(pid, KEEPER_MARKER, ...(marker === undefined ? [] : [marker]));
}

/** Whether the keeper `startDetached` returned is still running. */
export function isDetachedRunning(pid: number): Promise<boolean> {
  return isKeeper(pid);
}

/**
 * Stops what `startDetached` started, if `pid` is still a keeper whose command line holds `marker` (a
 * pid may have been reused since): SIGTERM to the service's processes, SIGKILL to the group after the
 * grace. Resolves once the keeper is gone.
 */
export async function stopDetached(pid: number, marker: string, graceSeconds: number): Promise<void> {
  if (!(await isKeeper(pid, marker))) return;
  const gone = async () => !(await isKeeper(pid));
  const waitGone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
      if (await gone()) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return gone();
  };
  for (const process of await descendants(pid)) {
    if (process.comm !== "bwrap") signal(process.pid, "SIGTERM");
  }
  if (!(await waitGone(graceSeconds * 1000))) signal(-pid, "SIGKILL");
  await waitGone(5000);
}

/**
 * SIGTERM to every process of the stage's tree except the sandbox's own bubblewrap processes (so the
 * sandbox outlives the job's graceful exit), then SIGKILL to the group after the grace: bubblewrap's
 * death ends its pid namespace, and the kernel kills whatever was left inside, however it detached.
 */
async function stopTree(
  rootPid: number | undefined,
  graceSeconds: number,
  child: Promise<unknown>,
): Promise<void> {
  if (rootPid === undefined) return;
  for (const pid of await descendants(rootPid)) {
    if (pid.comm === "bwrap") continue;
    signal(pid.pid, "SIGTERM");
  }
  const exited = await Promise.race([
    child.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), graceSeconds * 1000).unref()),
  ]);
  if (!exited) signal(-rootPid, "SIGKILL");
}

/** Sends `name` to `pid` (a negative pid: its process group), which may have exited already. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** The processes below `rootPid`, found through /proc (each one's parent in /proc/<pid>/stat). */
async function descendants(rootPid: number): Promise<Array<{ pid: number; comm: string }>> {
  const parents = new Map<number, Array<{ pid: number; comm: string }>>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    const list = parents.get(ppid) ?? [];
    list.push({ pid: Number(name), comm });
    parents.set(ppid, list);
  }
  const found: Array<{ pid: number; comm: string }> = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of parents.get(next) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}
