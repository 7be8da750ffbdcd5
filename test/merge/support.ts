export type { CliRun } from "../support/cli.ts";
export { isolatedEnv, polyarch, through } from "../support/cli.ts";

import type { FaultProxy, Image, Registry } from "@polyarch/test-harness";
import { pushImage, syntheticImage } from "@polyarch/test-harness";

export const amd64 = { os: "linux", architecture: "amd64" };
export const arm64 = { os: "linux", architecture: "arm64" };
export const armv7 = { os: "linux", architecture: "arm", variant: "v7" };

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
