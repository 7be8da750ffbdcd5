import { formatRepository, type ImageReference, type Platform, PolyarchError } from "@polyarch/oci";
import type { SyncImage, SyncSpec } from "./spec.ts";
import { selectTags } from "./tags.ts";

/** One image to mirror: a source tag (or digest) and where it goes. */
export interface SyncItem {
  /** Position of the spec entry it comes from. */
  image: number;
  source: ImageReference;
  target: ImageReference;
  platforms?: Platform[];
}

/** A spec entry that could not be expanded into items (its tags could not be listed). */
export interface SyncPlanFailure {
  image: number;
  source: string;
  error: unknown;
}

export interface SyncPlan {
  items: SyncItem[];
  failures: SyncPlanFailure[];
}

export interface SyncPlanContext {
  /** The tags of the repository `reference` names. */
  listTags(reference: ImageReference): Promise<string[]>;
  log?: (message: string) => void;
}

/**
 * Expands a spec into items: an entry with a tag filter lists its source repository's tags (the only
 * request planning makes) and selects from them; every other entry is one item. An entry whose tags
 * cannot be listed becomes a failure, and the rest are still planned.
 */
export async function planSync(spec: SyncSpec, context: SyncPlanContext): Promise<SyncPlan> {
  const plan: SyncPlan = { items: [], failures: [] };
  for (const image of spec.images) {
    if (image.tags === undefined) {
      plan.items.push(itemFor(image, image.source, image.target));
      continue;
    }
    try {
      const listed = await context.listTags(image.source);
      if (listed.length === 0) {
        throw new PolyarchError("POLYARCH_E_NO_TAGS", `${formatRepository(image.source)} has no tags`, {
          hint: "check the repository name (and that the credentials may list it)",
        });
      }
      const tags = selectTags(listed, image.tags);
      if (tags.length === 0) {
        context.log?.(
          `${formatRepository(image.source)}: the tag filters select none of its ${listed.length} tags`,
        );
      }
      for (const tag of tags) {
        plan.items.push(itemFor(image, { ...image.source, tag }, { ...image.target, tag }));
      }
    } catch (error: unknown) {
      plan.failures.push({ image: image.index, source: formatRepository(image.source), error });
    }
  }
  return plan;
}

function itemFor(image: SyncImage, source: ImageReference, target: ImageReference): SyncItem {
  return { image: image.index, source, target, ...(image.platforms && { platforms: image.platforms }) };
}
