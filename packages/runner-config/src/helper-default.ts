import { atLeast, formatVersion, type RunnerVersion, versionOfImage } from "./runner-version.ts";
import type { Fleet, KubernetesRunner } from "./schema.ts";

/**
 * From 19.2.0 gitlab-runner publishes its helper as multi-arch indexes as well as per-architecture tags
 * (`scripts/pusher/indexes.go` at v19.2.0: each per-architecture tag with its architecture taken out).
 * The default helper's `alpine-latest-<arch>-v<version>` tags make `alpine-latest-v<version>`, an index
 * of Linux images only; the bare `v<version>` index also holds the Windows images, so it is not used.
 */
export const UPSTREAM_HELPER_INDEX_SINCE: RunnerVersion = [19, 2, 0];

/** Where upstream publishes its helper images. */
export const UPSTREAM_HELPER_REPOSITORY = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper";

/** `registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:alpine-latest-v19.2.0` */
export function upstreamHelperIndex(version: RunnerVersion): string {
  return `${UPSTREAM_HELPER_REPOSITORY}:alpine-latest-v${formatVersion(version)}`;
}

/**
 * The version of the manager image a Kubernetes fleet pins, when upstream has a multi-arch helper for
 * it; undefined when the fleet has no Kubernetes runner, pins no version, or pins one before 19.2.0.
 */
export function upstreamHelperVersion(managerImage: string | undefined): RunnerVersion | undefined {
  const version = managerImage === undefined ? undefined : versionOfImage(managerImage);
  return version !== undefined && atLeast(version, UPSTREAM_HELPER_INDEX_SINCE) ? version : undefined;
}

/**
 * A Kubernetes fleet that names no helper image and pins a manager of 19.2.0 or later gets upstream's
 * Linux-only multi-arch helper of that version: its job pods then find their own architecture's helper
 * on both node pools without a mirror. A helper the fleet names (a mirror) always wins.
 */
export function withUpstreamHelper(fleet: Fleet): Fleet {
  if (fleet.helper_image !== undefined) return fleet;
  const kubernetes = fleet.runners.find((r): r is KubernetesRunner => r.executor === "kubernetes");
  const version = upstreamHelperVersion(kubernetes?.kubernetes.manager.image);
  return version === undefined ? fleet : { ...fleet, helper_image: upstreamHelperIndex(version) };
}
