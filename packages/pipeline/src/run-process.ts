import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import type { Invocation } from "./builders/types.ts";
import type { Env } from "./routing.ts";

export interface ProcessResult {
  /** `undefined` when the process did not exit by itself (stopped, timed out, not started). */
  exitCode: number | undefined;
  /** Why it did not exit by itself, for messages. */
  failure?: string;
  /** Its last lines of output (stdout and stderr interleaved), already scrubbed. */
  tail: string[];
}

export interface RunOptions {
  /** The environment the process starts with; the invocation's own variables are added to it. */
  env: Env;
  /** Receives every output line, already scrubbed. */
  log: (line: string) => void;
  scrub: (text: string) => string;
  /** @default 2 hours: a build that takes longer is stuck. */
  timeoutMs?: number;
  /**
   * Cancels the run (the CLI's SIGINT/SIGTERM): the process group is stopped, and the run resolves only
   * once every process in it has ended.
   */
  signal?: AbortSignal;
}

export type RunProcess = (invocation: Invocation, options: RunOptions) => Promise<ProcessResult>;

const TAIL_LINES = 20;
const DEFAULT_TIMEOUT_MS = 2 * 60 * 60 * 1000;
/** A group still alive this long after SIGTERM gets SIGKILL. */
const FORCE_KILL_AFTER_MS = 10_000;
/** How long a group may take to vanish after SIGKILL (a process stuck in the kernel) before we go on. */
const AFTER_KILL_MS = 5_000;
/** Nothing tells a parent when a process group has emptied: it is looked at this often. */
const POLL_MS = 50;

/**
 * Runs a builder with execa: in its own process group, so that stopping it (a cancelled job, the
 * timeout) stops the builder and everything it started (Buildah's RUN steps, BuildKit's daemon), with
 * every output line scrubbed before it is logged or kept for the error message. The run resolves only
 * when the group is gone: a process the builder left behind is stopped too, after it exits.
 */
export const runProcess: RunProcess = async (invocation, options) => {
  if (options.signal?.aborted) return { exitCode: undefined, failure: "was not started", tail: [] };
  const { execa } = await import("execa");
  const child = execa(invocation.program, invocation.args, {
    env: { ...options.env, ...invocation.env },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    all: true,
    buffer: false,
    detached: true,
  });
  // execa's own timeout and kill reach only the direct child; a builder's RUN steps are its grandchildren.
  const group = child.pid === undefined ? undefined : processGroup(child.pid);
  let stopping: Promise<void> | undefined;
  /** Why the group was stopped before the builder exited by itself. */
  let stoppedFor: string | undefined;
  const stop = (why?: string) => {
    stoppedFor ??= why;
    stopping ??= group?.stop();
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => stop(`timed out after ${Math.round(timeoutMs / 1000)}s`), timeoutMs);
  const onAbort = () => stop("was stopped");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // The one exit that cannot wait (a second signal exits at once): the group is killed on the way out.
  const killOnExit = () => group?.kill("SIGKILL");
  process.once("exit", killOnExit);
  const tail: string[] = [];
  const reading = (async () => {
    for await (const line of child.iterable({ from: "all" })) {
      const clean = options.scrub(String(line));
      options.log(clean);
      tail.push(clean);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  })().catch(() => {
    // The process failed to start or was killed: its result says how.
  });
  // The builder's exit, not the end of its output: what it left running may hold the pipe open.
  await Promise.race([once(child.nodeChildProcess, "exit"), child]).catch(() => {});
  clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  // What the builder left running in its group is stopped too before the run is over.
  if (await group?.alive()) stop();
  await stopping;
  await reading;
  const result = await child;
  process.off("exit", killOnExit);
  if (stoppedFor === undefined && result.exitCode !== undefined) return { exitCode: result.exitCode, tail };
  const failure =
    stoppedFor ??
    (result.signal
      ? `was killed by ${result.signal}`
      : options.scrub(result.originalMessage ?? "could not be started"));
  return { exitCode: undefined, failure, tail };
};

interface ProcessGroup {
  kill(signal: NodeJS.Signals): void;
  /** True while any process of the group runs (a zombie has ended, even if no one has reaped it yet). */
  alive(): Promise<boolean>;
  /** SIGTERM, then SIGKILL to what is left after FORCE_KILL_AFTER_MS; resolves when the group is gone. */
  stop(): Promise<void>;
}

function processGroup(pgid: number): ProcessGroup {
  const send = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pgid, signal);
      return true;
    } catch {
      // ESRCH: no process of the group is left.
      return false;
    }
  };
  // The kernel counts zombies as members, and an orphan's zombie stays until init reaps it (some
  // container inits never do), so a group that still answers is looked up in /proc.
  const alive = async () => send(0) && (await runningMembers(pgid));
  const gone = async (withinMs: number): Promise<boolean> => {
    const deadline = Date.now() + withinMs;
    while (await alive()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return true;
  };
  return {
    kill: (signal) => void send(signal),
    alive,
    async stop() {
      if (!send("SIGTERM") || (await gone(FORCE_KILL_AFTER_MS))) return;
      send("SIGKILL");
      await gone(AFTER_KILL_MS);
    },
  };
}

/** Whether a process of group `pgid` is not a zombie; true when /proc cannot say. */
async function runningMembers(pgid: number): Promise<boolean> {
  const pids = await readdir("/proc").catch(() => undefined);
  if (pids === undefined) return true;
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so read after the last ")".
    const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (group === String(pgid) && state !== "Z") return true;
  }
  return false;
}
