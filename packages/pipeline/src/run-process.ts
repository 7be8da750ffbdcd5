import type { Invocation } from "./builders/types.ts";
import type { Env } from "./routing.ts";

export interface ProcessResult {
  /** `undefined` when the process did not exit by itself (killed, timed out, not started). */
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
}

export type RunProcess = (invocation: Invocation, options: RunOptions) => Promise<ProcessResult>;

const TAIL_LINES = 20;
const DEFAULT_TIMEOUT_MS = 2 * 60 * 60 * 1000;
const SIGNALS = ["SIGTERM", "SIGINT"] as const;
/** A group still alive this long after SIGTERM gets SIGKILL. */
const FORCE_KILL_AFTER_MS = 10_000;

/**
 * Runs a builder with execa: in its own process group, so a job cancelled with SIGTERM stops the
 * builder and everything it started (Buildah's RUN steps, BuildKit's daemon), with a timeout, and with
 * every output line scrubbed before it is logged or kept for the error message.
 */
export const runProcess: RunProcess = async (invocation, options) => {
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
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const stopGroup = (signal: NodeJS.Signals) => {
    killGroup(signal);
    setTimeout(() => killGroup("SIGKILL"), FORCE_KILL_AFTER_MS).unref();
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup("SIGTERM");
  }, timeoutMs);
  for (const signal of SIGNALS) process.on(signal, stopGroup);
  const tail: string[] = [];
  try {
    for await (const line of child.iterable({ from: "all" })) {
      const clean = options.scrub(String(line));
      options.log(clean);
      tail.push(clean);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  } catch {
    // The process failed to start or was killed: its result says how.
  }
  const result = await child;
  clearTimeout(timer);
  for (const signal of SIGNALS) process.off(signal, stopGroup);
  if (result.exitCode !== undefined && !timedOut) return { exitCode: result.exitCode, tail };
  const failure = timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)}s`
    : result.signal
      ? `was killed by ${result.signal}`
      : options.scrub(result.originalMessage ?? "could not be started");
  return { exitCode: undefined, failure, tail };
};
