import semver from "semver";
import type { HelperArchitecture } from "./architectures.ts";

/**
 * GitLab's helper image tag scheme
 * (https://docs.gitlab.com/runner/configuration/advanced-configuration/#helper-image):
 * `[<flavor>-]<arch>-v<version>` per architecture, where the flavor `alpine` (the default) has no
 * prefix; from 19.2 also multi-arch indexes `[<flavor>-]v<version>` (the bare `v<version>` index also
 * holds Windows images).
 */
export const DEFAULT_FLAVOR = "alpine";

/** `alpine` → ``, `ubuntu` → `ubuntu-`. */
export function flavorPrefix(flavor: string): string {
  return flavor === DEFAULT_FLAVOR ? "" : `${flavor}-`;
}

/** `ubuntu-arm64-v18.9.0` */
export function perArchitectureTag(
  flavor: string,
  architecture: HelperArchitecture,
  version: string,
): string {
  return `${flavorPrefix(flavor)}${architecture}-v${version}`;
}

/** `ubuntu-v19.2.0`, or `v19.2.0` for alpine. */
export function multiArchTag(flavor: string, version: string): string {
  return `${flavorPrefix(flavor)}v${version}`;
}

/** The default target tag pattern: the same names upstream gives its multi-arch indexes. */
export const DEFAULT_TARGET_TAG = "{prefix}v{version}";

/** Expands `{version}`, `{flavor}` and `{prefix}` (the flavor and a dash, empty for alpine). */
export function renderTargetTag(pattern: string, flavor: string, version: string): string {
  return pattern
    .replaceAll("{version}", version)
    .replaceAll("{flavor}", flavor)
    .replaceAll("{prefix}", flavorPrefix(flavor));
}

/** The release version a helper tag ends with (`alpine3.21-arm64-v18.9.0` → 18.9.0), else undefined. */
export function versionOfTag(tag: string): string | undefined {
  const match = /(?:^|-)v(\d+\.\d+\.\d+)$/.exec(tag);
  return match?.[1] !== undefined && semver.valid(match[1]) ? match[1] : undefined;
}
