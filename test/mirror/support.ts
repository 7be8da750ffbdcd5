import { Writable } from "node:stream";
import { main } from "@polyarch/cli";
import type { MirrorContext } from "@polyarch/mirror";
import { openStore, RegistryClient, type RegistryClientOptions } from "@polyarch/oci";
import type { FaultProxy, Registry } from "@polyarch/test-harness";

export const amd64 = { os: "linux", architecture: "amd64" };
export const arm64 = { os: "linux", architecture: "arm64" };
export const s390x = { os: "linux", architecture: "s390x" };

/** Credential files that do not exist: nothing from this machine's Docker or podman login leaks in. */
export const isolatedEnv = {
  REGISTRY_AUTH_FILE: "/nonexistent/polyarch-test-auth.json",
  DOCKER_CONFIG: "/nonexistent/polyarch-test-docker",
};

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `polyarch ARGS` in-process, capturing stdout and stderr; `tty` makes stderr a terminal. */
export async function polyarch(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; tty?: boolean; cwd?: string } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stderr = Object.assign(sink(err), { isTTY: options.tty ?? false });
  const code = await main(["node", "polyarch", ...args], {
    stdout: sink(out),
    stderr,
    env: { ...isolatedEnv, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

function sink(parts: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      parts.push(chunk.toString());
      done();
    },
  });
}

/** A registry as the harness's raw clients see it, but reached through `proxy`. */
export function through(registry: Registry, proxy: FaultProxy): Registry {
  return { ...registry, url: proxy.url, host: proxy.host };
}

/** A client with fast retries (fault tests do not wait for production backoff), and stores it opens. */
export function testClient(options: RegistryClientOptions = {}): {
  client: RegistryClient;
  context: MirrorContext;
} {
  const client = new RegistryClient({ retry: { baseDelayMs: 5 }, ...options });
  return { client, context: { openStore: (reference) => openStore(reference, client) } };
}

/** Manifest writes and uploads the proxy saw, for "nothing was pushed" assertions. */
export function writes(proxy: FaultProxy) {
  return proxy.counter.requests.filter(
    (r) => r.method === "PUT" || r.method === "PATCH" || r.method === "POST" || r.method === "DELETE",
  );
}

/** Every request the proxy saw, as `METHOD route`, for exact request-count assertions. */
export function requestLog(proxy: FaultProxy): string[] {
  return proxy.counter.requests.map((r) => `${r.method} ${r.route}`);
}

export function json(bytes: Uint8Array | string): {
  mediaType?: string;
  manifests: Array<{
    mediaType: string;
    digest: string;
    size: number;
    platform?: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }>;
  annotations?: Record<string, string>;
} {
  return JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
}
