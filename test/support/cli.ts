import { resolve } from "node:path";
import { Writable } from "node:stream";
import { main } from "@polyarch/cli";
import { captureFiles, captureOutput, type FaultProxy, type Registry } from "@polyarch/test-harness";

/** Credential files that do not exist: nothing from this machine's Docker or podman login leaks in. */
export const isolatedEnv = {
  REGISTRY_AUTH_FILE: "/nonexistent/polyarch-test-auth.json",
  DOCKER_CONFIG: "/nonexistent/polyarch-test-docker",
};

export interface CliRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Runs `polyarch ARGS` in-process, capturing stdout and stderr; `tty` makes stderr a terminal. */
export async function polyarch(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; tty?: boolean; cwd?: string } = {},
): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stderr = Object.assign(sink(err), { isTTY: options.tty ?? false });
  const code = await main(["node", "polyarch", ...args], {
    stdout: sink(out),
    stderr,
    env: { ...isolatedEnv, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  });
  const stdoutBytes = Buffer.concat(out);
  const stderrText = Buffer.concat(err).toString("utf8");
  await captureRun(args, stdoutBytes, stderrText, options.cwd);
  return { code, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: stderrText };
}

/**
 * Hands what one polyarch run produced to the run-wide secret check (test/setup/secrets.ts): both
 * streams and the files its arguments name as outputs. Every runner of polyarch (in-process or a real
 * process) calls this, so a test that captures output is checked without doing anything.
 */
export async function captureRun(
  args: string[],
  stdout: Uint8Array | string,
  stderr: string,
  cwd = process.cwd(),
): Promise<void> {
  const command = args
    .filter((arg) => !arg.startsWith("-"))
    .slice(0, 2)
    .join(" ");
  captureOutput(`stdout of polyarch ${command}`, stdout);
  captureOutput(`stderr of polyarch ${command}`, stderr);
  await captureFiles(outputPaths(args).map((path) => resolve(cwd, path)));
}

/** The files and directories an argv names as polyarch's outputs: digest and dotenv files, --out, oci: layouts. */
export function outputPaths(args: string[]): string[] {
  const paths: string[] = [];
  args.forEach((arg, i) => {
    const flag = /^--(digest-file|dotenv|out|dir)(=(.*))?$/.exec(arg);
    if (flag) {
      const value = flag[3] ?? args[i + 1];
      if (value !== undefined) paths.push(value);
    }
    const layout = /^oci:([^:@]+)/.exec(arg);
    if (layout?.[1]) paths.push(layout[1]);
  });
  return paths;
}

function sink(parts: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      parts.push(Buffer.from(chunk));
      done();
    },
  });
}

/** A registry as the harness's raw clients see it, but reached through `proxy`. */
export function through(registry: Registry, proxy: FaultProxy): Registry {
  return { ...registry, url: proxy.url, host: proxy.host };
}
