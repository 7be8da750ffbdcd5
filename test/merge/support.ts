export type { CliRun } from "../support/cli.ts";
export { isolatedEnv, polyarch, through } from "../support/cli.ts";
export { json, writes } from "../support/proxy.ts";

import type { Image, Registry } from "@polyarch/test-harness";
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
