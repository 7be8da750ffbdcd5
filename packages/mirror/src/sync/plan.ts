import type { ReportedError } from "@polyarch/errors";
import { formatRepository, type ImageReference, type Platform } from "@polyarch/oci";
import type { SyncImage, SyncSpec } from "./spec.ts";
import { selectTags } from "./tags.ts";

/** One image to mirror: a source tag (or digest) and where it goes. */
export interface SyncItem {
  /** Position of the spec entry it comes from. */
  image: number;
  source: ImageReference;
  target: ImageReference;
  platforms?: Platform[];
  referrers?: boolean;
  artifactTypes?: string[];
}

/** A spec entry that could not be expanded into items (its tags could not be listed). */
export interface SyncPlanFailure {
  image: number;
  source: string;
  error: ReportedError;
}

export interface SyncPlan {
  items: SyncItem[];
  failures: SyncPlanFailure[];
  /** Worth telling the user, not failures: a filter that selects none of a repository's tags. */
  notes: string[];
}

/** What listing an entry's source repository gave: its tags, or why they could not be listed. */
export type ListedTags = { tags: string[] } | { error: ReportedError };

/** The entries planning needs the tags of: those with a tag filter. Everything else is one item. */
export function entriesToList(spec: SyncSpec): SyncImage[] {
  return spec.images.filter((image) => image.tags !== undefined);
}

/**
 * Expands a spec into items (pure): an entry with a tag filter selects from its source repository's
 * tags, listed beforehand by the caller into `listed` (keyed by entry index); every other entry is
 * one item. An entry whose tags could not be listed, or that has none, becomes a failure, and the
 * rest are still planned.
 */
export function planSync(spec: SyncSpec, listed: ReadonlyMap<number, ListedTags>): SyncPlan {
  const plan: SyncPlan = { items: [], failures: [], notes: [] };
  for (const image of spec.images) {
    if (image.tags === undefined) {
      plan.items.push(itemFor(image, image.source, image.target));
      continue;
    }
    const source = formatRepository(image.source);
    const listing = listed.get(image.index);
    if (listing === undefined) throw new Error(`planSync: the tags of entry ${image.index} were not listed`);
    if ("error" in listing) {
      plan.failures.push({ image: image.index, source, error: listing.error });
      continue;
    }
    if (listing.tags.length === 0) {
      plan.failures.push({
        image: image.index,
        source,
        error: {
          code: "POLYARCH_E_NO_TAGS",
          message: `${source} has no tags`,
          hint: "check the repository name (and that the credentials may list it)",
        },
      });
      continue;
    }
    const tags = selectTags(listing.tags, image.tags);
    if (tags.length === 0) {
      plan.notes.push(`${source}: the tag filters select none of its ${listing.tags.length} tags`);
    }
    for (const tag of tags) {
      plan.items.push(itemFor(image, { ...image.source, tag }, { ...image.target, tag }));
    }
  }
  return plan;
}

function itemFor(image: SyncImage, source: ImageReference, target: ImageReference): SyncItem {
  return {
    image: image.index,
    source,
    target,
    ...(image.platforms && { platforms: image.platforms }),
    ...(image.referrers !== undefined && { referrers: image.referrers }),
    ...(image.artifactTypes && { artifactTypes: image.artifactTypes }),
  };
}
