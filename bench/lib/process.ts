import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { msSince } from "./timing.ts";

/** GNU time, for a child's peak RSS (`%M`); without it runs still happen, without memory figures. */
const GNU_TIME = "/usr/bin/time";

export interface ProcessOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The child (and anything it started in its process group) is killed after this long. @default 120_000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ProcessRun {
  /** Wall time from spawn to exit. */
  ms: number;
  stdout: string;
  /** Peak resident set size of the child, from GNU time; undefined when it is not installed. */
  peakRssBytes: number | undefined;
}

/**
 * Runs a command to completion and times it. A non-zero exit, a timeout or an abort rejects with
 * the command and the tail of its stderr.
 */
export async function runProcess(
  command: string,
  args: string[],
  options: ProcessOptions,
): Promise<ProcessRun> {
  options.signal?.throwIfAborted();
  const measure = existsSync(GNU_TIME);
  const scratch = measure ? await mkdtemp(join(tmpdir(), "polyarch-bench-time-")) : undefined;
  const rssFile = scratch && join(scratch, "rss");
  const [file, argv] = rssFile ? [GNU_TIME, ["-f", "%M", "-o", rssFile, command, ...args]] : [command, args];
  try {
    const start = process.hrtime.bigint();
    const { code, stdout, stderr } = await spawnToExit(file, argv, options);
    const ms = msSince(start);
    if (code !== 0) {
      const tail = stderr.trim().split("\n").slice(-5).join("\n");
      throw new Error(`${command} ${args.join(" ")} exited with ${code}: ${tail}`);
    }
    const rssKb = rssFile ? Number.parseInt(await readFile(rssFile, "utf8"), 10) : Number.NaN;
    return { ms, stdout, peakRssBytes: Number.isFinite(rssKb) ? rssKb * 1024 : undefined };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

function spawnToExit(
  file: string,
  args: string[],
  options: ProcessOptions,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also ends what the command started (buildah's helpers).
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped = why;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    };
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => stop("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (stopped) reject(new Error(`${file} ${args.join(" ")}: ${stopped}`));
      else
        resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}
