import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureRun, isolatedEnv } from "./cli.ts";

/** The cli package as `pnpm build` leaves it: bin/<name>.js, the launchers, loading dist/bin/<name>.cjs. */
export const CLI_PACKAGE = fileURLToPath(new URL("../../packages/cli/", import.meta.url));

export type Binary = "polyarch" | "polyarch-executor";

export interface ProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The package whose launcher runs, e.g. the deployed copy prepare-context writes. @default CLI_PACKAGE */
  packageDir?: string;
}

export interface PolyarchProcess {
  child: ChildProcess;
  /** Resolves when the process has exited, with what it printed; its output is checked for secrets. */
  done: Promise<ProcessRun>;
}

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `BINARY ARGS` from a package's launcher, as its own process: what a user runs. */
export function startBinary(binary: Binary, args: string[], options: ProcessOptions = {}): PolyarchProcess {
  const launcher = join(options.packageDir ?? CLI_PACKAGE, "bin", `${binary}.js`);
  const child = spawn(process.execPath, ["--max-semi-space-size=1", launcher, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...isolatedEnv, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  const done = new Promise<ProcessRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const run = {
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      captureRun(args, run.stdout, run.stderr, options.cwd).then(() => resolve(run), reject);
    });
  });
  return { child, done };
}

/** Starts `polyarch ARGS` as its own process (for signals and for several writers at once). */
export function startPolyarch(args: string[], options: ProcessOptions = {}): PolyarchProcess {
  return startBinary("polyarch", args, options);
}

/** Runs `polyarch ARGS` as a process to the end. */
export function runPolyarch(args: string[], options: ProcessOptions = {}): Promise<ProcessRun> {
  return startBinary("polyarch", args, options).done;
}

/** Runs `polyarch-executor ARGS` as a process to the end. */
export function runExecutor(args: string[], options: ProcessOptions = {}): Promise<ProcessRun> {
  return startBinary("polyarch-executor", args, options).done;
}

/** Resolves once `condition()` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One line of /proc/PID/stat, the fields a test asks about. */
interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
}

/** Every process on the machine now, from /proc (Linux): a test's view, independent of polyarch's. */
export async function processes(): Promise<ProcStat[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined)),
  );
  return stats.flatMap((stat) => {
    // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses, so split after the last ")".
    const match = stat === undefined ? null : /^(\d+) \((.*)\) (\S) (\d+) (\d+) /s.exec(stat);
    if (match === null) return [];
    const [, pid, comm, state, ppid, pgid] = match;
    return [
      {
        pid: Number(pid),
        comm: comm as string,
        state: state as string,
        ppid: Number(ppid),
        pgid: Number(pgid),
      },
    ];
  });
}

/** The processes of group `pgid` still running (a zombie has ended; it only waits to be reaped). */
export async function livingMembers(pgid: number): Promise<ProcStat[]> {
  return (await processes()).filter((p) => p.pgid === pgid && p.state !== "Z");
}
