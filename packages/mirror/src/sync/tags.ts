import { isReceiptTag, isReferrerTag } from "@polyarch/oci";
import semver from "semver";

/** Which tags of a repository a sync copies. Every field narrows the set; none means every tag. */
export interface TagFilter {
  /** A tag must match one of these (anchored: the whole tag). */
  allow?: RegExp[];
  /** A tag that matches one of these (anchored) is left out. */
  deny?: RegExp[];
  /** Only tags that read as versions and satisfy this npm-style range (`>=3.19 <4`, `^1.2`). */
  semver?: string;
  /**
   * After the other filters, only the N highest release versions (tags with a suffix, such as
   * `-rc1` or `-alpine`, count only when nothing else is left).
   */
  latest?: number;
}

/** `3.20` in a spec means the tag `3.20`, not a tag containing it. */
export function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * The version a tag stands for, or undefined: `v1.2.3`, `1.2` (→ 1.2.0), `3` (→ 3.0.0) and
 * `1.2.3-rc1` (a prerelease). A suffix such as `-alpine` also reads as a prerelease, so ranges leave
 * such variants out; select them with `allow`.
 */
export function tagVersion(tag: string): string | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/.exec(tag);
  if (!match) return undefined;
  const [, major, minor = "0", patch = "0", prerelease] = match;
  return semver.valid(`${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ""}`) ?? undefined;
}

/**
 * The tags to copy, highest version first, then tags that are not versions in name order. Receipt
 * tags that polyarch writes are never selected, nor referrer tags (`sha256-<hex>` fallback indexes,
 * cosign's `.sig`/`.att`/`.sbom`): they travel with the image they refer to.
 */
export function selectTags(tags: readonly string[], filter: TagFilter = {}): string[] {
  let selected = [...new Set(tags)].filter((tag) => !isReceiptTag(tag) && !isReferrerTag(tag));
  if (filter.allow?.length) selected = selected.filter((tag) => filter.allow!.some((re) => re.test(tag)));
  if (filter.deny?.length) selected = selected.filter((tag) => !filter.deny!.some((re) => re.test(tag)));
  if (filter.semver !== undefined) {
    const range = filter.semver;
    selected = selected.filter((tag) => {
      const version = tagVersion(tag);
      return version !== undefined && semver.satisfies(version, range);
    });
  }
  const ordered = sortTags(selected);
  if (filter.latest === undefined) return ordered;
  // The latest releases; only when the other filters left nothing but suffixed tags (`1.27-alpine`)
  // are those ranked instead.
  const versioned = ordered.filter((tag) => tagVersion(tag) !== undefined);
  const releases = versioned.filter((tag) => semver.prerelease(tagVersion(tag)!) === null);
  return (releases.length > 0 ? releases : versioned).slice(0, filter.latest);
}

/** Versions descending (ties, such as `1.2` and `1.2.0`, by name), then the other tags by name. */
export function sortTags(tags: readonly string[]): string[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const versioned = tags.filter((tag) => tagVersion(tag) !== undefined);
  const others = tags.filter((tag) => tagVersion(tag) === undefined).sort(byName);
  versioned.sort((a, b) => semver.rcompare(tagVersion(a)!, tagVersion(b)!) || byName(a, b));
  return [...versioned, ...others];
}
