import type { Fleet, KubernetesRunner } from "./schema.ts";

/** A gitlab-runner release, `[major, minor, patch]`. */
export type RunnerVersion = readonly [number, number, number];

/** gitlab-runner expands `$VAR` in a runner's `token` (and `url`) from 18.10.0 (gitlab-org/gitlab-runner!6068). */
export const TOKEN_EXPANSION_SINCE: RunnerVersion = [18, 10, 0];
/** `[runners.kubernetes.pod_security_context.seccomp_profile]` (`type`, `localhost_profile`) is read from 18.11.0 (reference/gitlab-runner-v18.11.0.json). */
export const NATIVE_SECCOMP_SINCE: RunnerVersion = [18, 11, 0];

/**
 * The gitlab-runner release a fleet pins, read from the tag of the manager image
 * (`gitlab-runner:alpine-v18.11.0`) or else of the helper image (`gitlab-runner-helper:x86_64-v18.11.0`),
 * which upstream tags with the runner's version; undefined when neither names one.
 */
export function pinnedRunnerVersion(fleet: Fleet): { version: RunnerVersion; from: string } | undefined {
  const kubernetes = fleet.runners.find((r): r is KubernetesRunner => r.executor === "kubernetes");
  const candidates: Array<[string, string | undefined]> = [
    ["manager.image", kubernetes?.kubernetes.manager.image],
    ["helper_image", fleet.helper_image],
  ];
  for (const [from, image] of candidates) {
    const version = image === undefined ? undefined : versionOfImage(image);
    if (version !== undefined) return { version, from };
  }
  return undefined;
}

/** The `vMAJOR.MINOR.PATCH` in an image reference's tag, if there is one. */
export function versionOfImage(reference: string): RunnerVersion | undefined {
  const name = reference.split("@")[0] ?? "";
  const tag = name.slice(name.lastIndexOf("/") + 1).split(":")[1];
  const match = tag === undefined ? null : /(?:^|-)v(\d+)\.(\d+)\.(\d+)(?:$|-)/.exec(tag);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function atLeast(version: RunnerVersion, minimum: RunnerVersion): boolean {
  for (let i = 0; i < 3; i++) {
    if (version[i] !== minimum[i]) return (version[i] ?? 0) > (minimum[i] ?? 0);
  }
  return true;
}

export function formatVersion(version: RunnerVersion): string {
  return version.join(".");
}
