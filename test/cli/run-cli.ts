import { PassThrough } from "node:stream";
import { main } from "@polyarch/cli";

export interface CliRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Runs `polyarch ARGS` in-process with captured output and an environment the test controls. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  // No stray credentials from the machine's own Docker config.
  const isolated = {
    DOCKER_CONFIG: "/nonexistent/polyarch-test",
    HOME: "/nonexistent/polyarch-home",
    ...env,
  };
  const code = await main(["node", "polyarch", ...args], {
    stdout,
    stderr,
    env: isolated,
    cwd: process.cwd(),
  });
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString("utf8"),
    stdoutBytes,
    stderr: Buffer.concat(err).toString("utf8"),
  };
}
