import { type ReportedError, reportedError } from "@polyarch/errors";
import {
  BlobTransfers,
  type CopyStats,
  formatReference,
  formatRepository,
  type ImageReference,
  type ImageStore,
  type RateLimit,
  ReferrerCache,
  type ReferrerReport,
} from "@polyarch/oci";
import { checkMirror, type MirrorAction, mirror } from "../mirror.ts";
import { RegistryLimits } from "./limits.ts";
import { entriesToList, type ListedTags, planSync, type SyncItem } from "./plan.ts";
import { type Shard, shardPlan } from "./shard.ts";
import { DEFAULT_SLOW_DOWN_AT, type SyncSpec } from "./spec.ts";
import { PullThrottle } from "./throttle.ts";

export interface SyncContext {
  openStore(reference: ImageReference): ImageStore;
  /** The last rate-limit headers of a registry (RegistryClient.rateLimit), to slow down before a 429. */
  rateLimit?: (registry: string) => RateLimit | undefined;
  log?: (message: string) => void;
}

/** `pending`: a dry run found the target out of date. `failed`: see `error`. */
export type SyncAction = MirrorAction | "pending" | "failed";

export interface SyncItemReport {
  /** Position of the spec entry the item comes from. */
  image: number;
  source: string;
  /** `registry/repository` or `oci:dir` of the target. */
  repository: string;
  /** `repository:tag`. */
  target: string;
  action: SyncAction;
  sourceDigest?: string;
  /** What the target holds now. */
  digest?: string;
  platforms?: string[];
  /** Set when a platform filter rebuilt the index (its digest differs from the source's). */
  rebuilt?: { kept: string[]; dropped: string[] };
  copied?: CopyStats;
  /** What refers to the image and came along. */
  referrers?: ReferrerReport;
  error?: ReportedError;
}

export interface SyncReport {
  dryRun: boolean;
  items: SyncItemReport[];
  counts: Record<SyncAction, number>;
  /** Registries whose pulls were slowed down or refused because their rate limit ran low. */
  throttled: string[];
}

/**
 * Mirrors every image a spec names. Plans first (listing the tags that filters select from), then
 * applies: each item is checked with HEADs (source, then target or its receipt) and copied only when
 * out of date. Items run `spec.concurrency` at a time and at most `registries[host].concurrency` per
 * registry. A failed item is reported and the others carry on.
 */
export async function sync(
  spec: SyncSpec,
  context: SyncContext,
  options: { dryRun?: boolean; shard?: Shard } = {},
): Promise<SyncReport> {
  const dryRun = options.dryRun ?? false;
  const listed = await listTags(spec, context);
  const plan = shardPlan(planSync(spec, listed), options.shard);
  for (const note of plan.notes) context.log?.(note);
  const throttle = new PullThrottle({
    ...(context.rateLimit && { rateLimit: context.rateLimit }),
    slowDownAt: (registry) => spec.registries[registry]?.slowDownAt ?? DEFAULT_SLOW_DOWN_AT,
    ...(context.log && { log: context.log }),
  });
  const transfers = new BlobTransfers();
  const referrerCache = new ReferrerCache();
  for (const [index, listing] of listed) {
    const entry = spec.images[index];
    if (entry && "tags" in listing)
      referrerCache.knowTags(context.openStore(entry.source).name, listing.tags);
  }
  const limits = new RegistryLimits(spec.concurrency, (registry) => spec.registries[registry]?.concurrency);
  const planned = plan.failures.map(
    (failure): SyncItemReport => ({
      image: failure.image,
      source: failure.source,
      repository: formatRepository(spec.images[failure.image]!.target),
      target: formatRepository(spec.images[failure.image]!.target),
      action: "failed",
      error: failure.error,
    }),
  );
  const applied = await Promise.all(
    plan.items.map((item) =>
      limits.run(registriesOf(item), () =>
        syncItem(item, context, { throttle, transfers, referrerCache }, dryRun),
      ),
    ),
  );
  const items = [...planned, ...applied].sort((a, b) => a.image - b.image);
  const counts: Record<SyncAction, number> = { created: 0, updated: 0, unchanged: 0, pending: 0, failed: 0 };
  for (const item of items) counts[item.action] += 1;
  return { dryRun, items, counts, throttled: throttle.throttled };
}

/** The tags of every filtered entry's source repository (the only requests planning needs). */
async function listTags(spec: SyncSpec, context: SyncContext): Promise<Map<number, ListedTags>> {
  const entries = entriesToList(spec);
  const listings = await Promise.all(
    entries.map(async (image): Promise<ListedTags> => {
      try {
        return { tags: await context.openStore(image.source).listTags() };
      } catch (error: unknown) {
        return { error: reportedError(error) };
      }
    }),
  );
  return new Map(entries.map((image, i) => [image.index, listings[i]!]));
}

async function syncItem(
  item: SyncItem,
  context: SyncContext,
  shared: { throttle: PullThrottle; transfers: BlobTransfers; referrerCache: ReferrerCache },
  dryRun: boolean,
): Promise<SyncItemReport> {
  const base = {
    image: item.image,
    source: formatReference(item.source),
    repository: formatRepository(item.target),
    target: item.target.tag === undefined ? formatRepository(item.target) : formatReference(item.target),
  };
  const request = {
    source: item.source,
    target: item.target,
    receipts: true,
    ...(item.platforms && { platforms: item.platforms }),
    ...(item.referrers !== undefined && { referrers: item.referrers }),
    ...(item.artifactTypes && { artifactTypes: item.artifactTypes }),
  };
  try {
    if (dryRun) {
      const check = await checkMirror(request, context);
      return {
        ...base,
        target: check.target,
        action: check.upToDate ? "unchanged" : "pending",
        sourceDigest: check.sourceDigest,
        ...(check.digest !== undefined && { digest: check.digest }),
      };
    }
    const sourceRegistry = item.source.kind === "registry" ? item.source.registry : undefined;
    const report = await mirror(request, {
      openStore: context.openStore,
      transfer: (run) => shared.throttle.run(sourceRegistry, run),
      transfers: shared.transfers,
      referrerCache: shared.referrerCache,
    });
    return {
      ...base,
      target: report.target,
      action: report.action,
      sourceDigest: report.sourceDigest,
      digest: report.digest,
      ...(report.platforms && { platforms: report.platforms }),
      ...(report.rebuilt && { rebuilt: report.rebuilt }),
      copied: report.copied,
      ...(report.referrers && { referrers: report.referrers }),
    };
  } catch (error: unknown) {
    context.log?.(`${base.source}: ${reportedError(error).message}`);
    return { ...base, action: "failed", error: reportedError(error) };
  }
}

function registriesOf(item: SyncItem): string[] {
  const hosts = [item.source, item.target].flatMap((ref) => (ref.kind === "registry" ? [ref.registry] : []));
  return [...new Set(hosts)].sort();
}
