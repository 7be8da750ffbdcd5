import { Writable } from "node:stream";
import { main } from "@polyarch/cli";
import type { FaultProxy, Image, Registry } from "@polyarch/test-harness";
import { pushImage, syntheticImage } from "@polyarch/test-harness";

export const amd64 = { os: "linux", architecture: "amd64" };
export const arm64 = { os: "linux", architecture: "arm64" };
export const armv7 = { os: "linux", architecture: "arm", variant: "v7" };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Credential files that do not exist: nothing from this machine's Docker or podman login leaks in. */
export const isolatedEnv = {
  REGISTRY_AUTH_FILE: "/nonexistent/polyarch-test-auth.json",
  DOCKER_CONFIG: "/nonexistent/polyarch-test-docker",
};

/** Runs `polyarch ARGS` in-process, capturing stdout and stderr. */
export async function polyarch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "polyarch", ...args], {
    stdout: sink(out),
    stderr: sink(err),
    env: { ...isolatedEnv, ...env },
    cwd: process.cwd(),
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

/** Pushes a synthetic single-platform image under `repo:tag` and returns it. */
export async function pushSynthetic(
  registry: Registry,
  repo: string,
  tag: string,
  options: Parameters<typeof syntheticImage>[0],
): Promise<Image> {
  const image = await syntheticImage(options);
  await pushImage(registry, repo, tag, image);
  return image;
}

/** The parsed JSON of an index or manifest. */
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

/** Manifest writes and blob traffic the proxy saw, for "nothing was pushed" assertions. */
export function writes(proxy: FaultProxy) {
  return proxy.counter.requests.filter(
    (r) => r.method === "PUT" || r.method === "PATCH" || r.method === "POST" || r.method === "DELETE",
  );
}
