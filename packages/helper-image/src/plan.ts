import type { Platform } from "@polyarch/oci";
import semver from "semver";
import { type HelperArchitecture, platformOfArchitecture } from "./architectures.ts";
import type { HelperFlavor, HelperSpec } from "./spec.ts";
import { multiArchTag, perArchitectureTag, renderTargetTag, versionOfTag } from "./tags.ts";

/**
 * How one version/flavor is made. `stitch` (before `multiArchSince`): one upstream tag per architecture,
 * stitched into a new index. `index` (from it): upstream's multi-arch index, keeping the configured
 * Linux platforms.
 */
export type RefreshMode = "stitch" | "index";

/** One target tag to refresh: a version in a flavor. */
export interface RefreshItem {
  version: string;
  flavor: string;
  mode: RefreshMode;
  /** stitch: one per architecture, in `architectures` order; index: the multi-arch tag alone. */
  upstreamTags: string[];
  architectures: HelperArchitecture[];
  /** The platform each architecture is, in the same order: the entries of the target index. */
  platforms: Platform[];
  targetTag: string;
}

export function modeOf(spec: Pick<HelperSpec, "upstream">, version: string): RefreshMode {
  return semver.gte(version, spec.upstream.multiArchSince) ? "index" : "stitch";
}

/** The upstream tags a version of a flavor is made from. */
export function upstreamTagsOf(
  spec: Pick<HelperSpec, "upstream">,
  flavor: HelperFlavor,
  version: string,
): string[] {
  return modeOf(spec, version) === "index"
    ? [multiArchTag(flavor.name, version)]
    : flavor.architectures.map((architecture) => perArchitectureTag(flavor.name, architecture, version));
}

/**
 * The versions to refresh for a flavor. A list is taken as it is. A range needs the upstream's tags:
 * versions in the range for which every tag the flavor needs exists (so a flavor introduced later
 * is not asked for older versions), highest first, the `latest` N of them.
 */
export function selectVersions(
  spec: HelperSpec,
  flavor: HelperFlavor,
  upstreamTags?: readonly string[],
): string[] {
  if ("list" in spec.versions) return spec.versions.list;
  if (upstreamTags === undefined) throw new Error("a version range needs the upstream's tags");
  const { range, latest } = spec.versions;
  const present = new Set(upstreamTags);
  const candidates = [...new Set(upstreamTags.map(versionOfTag))].filter(
    (version): version is string => version !== undefined && semver.satisfies(version, range),
  );
  const available = candidates.filter((version) =>
    upstreamTagsOf(spec, flavor, version).every((tag) => present.has(tag)),
  );
  const sorted = semver.rsort(available);
  return latest === undefined ? sorted : sorted.slice(0, latest);
}

/**
 * Every item to refresh, version by version (in list order, or highest first), each flavor in spec
 * order. Pure: the upstream's tags come in when versions are a range.
 */
export function planRefresh(spec: HelperSpec, upstreamTags?: readonly string[]): RefreshItem[] {
  const byFlavor = spec.flavors.map((flavor) => ({
    flavor,
    versions: selectVersions(spec, flavor, upstreamTags),
  }));
  const versions =
    "list" in spec.versions
      ? spec.versions.list
      : semver.rsort([...new Set(byFlavor.flatMap((f) => f.versions))]);
  const items: RefreshItem[] = [];
  for (const version of versions) {
    for (const { flavor, versions: selected } of byFlavor) {
      if (!selected.includes(version)) continue;
      items.push({
        version,
        flavor: flavor.name,
        mode: modeOf(spec, version),
        upstreamTags: upstreamTagsOf(spec, flavor, version),
        architectures: flavor.architectures,
        platforms: flavor.architectures.map(platformOfArchitecture),
        targetTag: renderTargetTag(spec.target.tag, flavor.name, version),
      });
    }
  }
  return items;
}
