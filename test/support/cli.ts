import { Writable } from "node:stream";
import { main } from "@polyarch/cli";
import type { FaultProxy, Registry } from "@polyarch/test-harness";

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
  return {
    code,
    stdout: stdoutBytes.toString("utf8"),
    stdoutBytes,
    stderr: Buffer.concat(err).toString("utf8"),
  };
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
