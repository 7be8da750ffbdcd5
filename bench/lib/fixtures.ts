import {
  type Image,
  type Platform,
  platformString,
  pushImage,
  type Registry,
  syntheticImage,
} from "@polyarch/test-harness";

/** Eight distinct platforms, so a merge of up to eight sources has one per platform. */
export const PLATFORMS: Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64" },
  { os: "linux", architecture: "arm", variant: "v7" },
  { os: "linux", architecture: "arm", variant: "v6" },
  { os: "linux", architecture: "386" },
  { os: "linux", architecture: "ppc64le" },
  { os: "linux", architecture: "s390x" },
  { os: "linux", architecture: "riscv64" },
];

/** The tag a source image for `platform` is pushed under: `src-linux-arm-v7`. */
export function sourceTag(platform: Platform): string {
  return `src-${platformString(platform).replaceAll("/", "-")}`;
}

export interface PushedSource {
  tag: string;
  image: Image;
}

/**
 * Pushes one synthetic image per platform (the first `count` of PLATFORMS) into `repo`, straight to the
 * registry (not through a proxy, so set-up is never counted), and returns them in order.
 */
export async function pushSources(
  registry: Registry,
  repo: string,
  count: number,
  layers: number[],
): Promise<PushedSource[]> {
  const pushed: PushedSource[] = [];
  for (const platform of PLATFORMS.slice(0, count)) {
    const image = await syntheticImage({ platform, layers, seed: "bench" });
    const tag = sourceTag(platform);
    await pushImage(registry, repo, tag, image);
    pushed.push({ tag, image });
  }
  return pushed;
}
