import { Readable } from "node:stream";
import { judge, storeLayers, verifyBinaries } from "@polyarch/elf";
import { PolyarchError, type ReportedError, reportedError } from "@polyarch/errors";
import {
  BlobTransfers,
  copyImage,
  copyReferrers,
  type DeletingStore,
  type Descriptor,
  type FetchedManifest,
  findReferrers,
  fingerprint,
  formatPlatform,
  formatReference,
  formatRepository,
  type ImageReference,
  type ImageStore,
  isAttestation,
  type ManifestHead,
  parseFetchedManifest,
  parseImageConfig,
  parseWrittenReference,
  platformName,
  pruneReceipts,
  type ReceiptCount,
  ReferrerCache,
  type ReferrerReport,
  readBlob,
  receiptTag,
  relabel,
  selectChild,
  type TagWrite,
  tagWrite,
} from "@polyarch/oci";
import pLimit from "p-limit";
import { buildIndex, type IndexEntry, upstreamImages } from "./index-document.ts";
import { planRefresh, type RefreshItem, type RefreshMode } from "./plan.ts";
import type { HelperSpec } from "./spec.ts";

export interface RefreshContext {
  openStore(reference: ImageReference): ImageStore;
  log?: (message: string) => void;
}

export interface RefreshOptions {
  /** Plan and check with HEADs only: each item is `pending` or `unchanged`. @default false */
  dryRun?: boolean;
  /** Rebuild every item even when its receipt says it is current (blobs present are still skipped). */
  force?: boolean;
}

/** `pending`: a dry run found the item out of date. */
export type RefreshAction = TagWrite | "fixed" | "failed" | "pending";

export interface RefreshItemReport {
  version: string;
  flavor: string;
  mode: RefreshMode;
  /** `repository:tag` */
  target: string;
  /** `repository:tag@digest`, what a runner's helper_image should say. */
  reference?: string;
  digest?: string;
  platforms: string[];
  action: RefreshAction;
  /** The upstream tags read, with the digests their HEADs returned. */
  upstream: Array<{ tag: string; digest?: string }>;
  /** Images republished with a corrected config (fixPlatform). */
  fixed?: Array<{ source: string; label: string; platform: string; from: string; to: string }>;
  /** What the ELF check found, per image. */
  verified?: Array<{ source: string; platform: string; summary: string }>;
  /** What refers to the upstream images, and what of it the target lacked and got (not with `referrers: false` or dryRun). */
  referrers?: ReferrerReport;
  error?: ReportedError;
}

export interface RefreshReport {
  dryRun: boolean;
  upstream: string;
  repository: string;
  items: RefreshItemReport[];
  counts: Record<RefreshAction, number>;
  /**
   * The receipt tags the target holds, after pruning those that no longer match their tag; only for
   * runs that wrote a tag (a run that changed nothing reads nothing more than its HEADs).
   */
  receipts?: ReceiptCount;
}

/**
 * Keeps the multi-arch helper images current. For each version and flavor: HEAD the upstream tags,
 * HEAD the receipt tag their digests name (see @polyarch/oci's receipts); when it exists the images are
 * current, and only what refers to them upstream and the target lacks is copied. Otherwise read the
 * upstream images (stitch: one per architecture tag; index: the children of upstream's index for the
 * configured platforms), copy them into the target by digest, verify each
 * one there (config platform and ELF machine against the tag's architecture; relabel or fail), write
 * the index under the target tag, then the receipt. A failed item leaves its tag untouched and does
 * not stop the others.
 */
export async function refresh(
  spec: HelperSpec,
  context: RefreshContext,
  options: RefreshOptions = {},
): Promise<RefreshReport> {
  const upstreamRef = parseWrittenReference(`${spec.upstream.registry}/${spec.upstream.repository}`);
  const targetRef = parseWrittenReference(spec.target.repository);
  const upstream = context.openStore(upstreamRef);
  const target = context.openStore(targetRef);
  const tags = "range" in spec.versions ? await upstream.listTags() : undefined;
  const items = planRefresh(spec, tags);
  const referrerCache = new ReferrerCache();
  if (tags) referrerCache.knowTags(upstream.name, tags);
  if (items.length === 0 && "range" in spec.versions) {
    context.log?.(`no upstream version in ${spec.versions.range} has every tag the flavors need`);
  }
  const limit = pLimit(spec.concurrency);
  const stores = {
    upstream,
    target,
    upstreamName: formatRepository(upstreamRef),
    targetRef,
    transfers: new BlobTransfers(),
    referrerCache,
  };
  const reports = await Promise.all(
    items.map((item) => limit(() => refreshItem(spec, item, stores, context, options))),
  );
  const counts: Record<RefreshAction, number> = {
    created: 0,
    updated: 0,
    unchanged: 0,
    fixed: 0,
    failed: 0,
    pending: 0,
  };
  for (const report of reports) counts[report.action] += 1;
  const wrote = reports.some((r) => r.action === "created" || r.action === "updated" || r.action === "fixed");
  const receipts = wrote && !options.dryRun ? await pruneTargetReceipts(target, context) : undefined;
  return {
    dryRun: options.dryRun ?? false,
    upstream: formatRepository(upstreamRef),
    repository: formatRepository(targetRef),
    items: reports,
    ...(receipts && { receipts }),
    counts,
  };
}

interface Stores {
  upstream: ImageStore;
  target: ImageStore;
  upstreamName: string;
  targetRef: ImageReference;
  /** Items share blobs (the helper binary's layer): each is uploaded once. */
  transfers: BlobTransfers;
  /** Items share the upstream's tag list and what each registry says of the referrers API. */
  referrerCache: ReferrerCache;
}

async function refreshItem(
  spec: HelperSpec,
  item: RefreshItem,
  stores: Stores,
  context: RefreshContext,
  options: RefreshOptions,
): Promise<RefreshItemReport> {
  const targetReference = formatReference({ ...stores.targetRef, tag: item.targetTag });
  const report: RefreshItemReport = {
    version: item.version,
    flavor: item.flavor,
    mode: item.mode,
    target: targetReference,
    platforms: item.platforms.map(formatPlatform),
    action: "pending",
    upstream: item.upstreamTags.map((tag) => ({ tag })),
  };
  try {
    const heads = await Promise.all(item.upstreamTags.map((tag) => stores.upstream.headManifest(tag)));
    heads.forEach((head, i) => {
      if (head) report.upstream[i]!.digest = head.digest;
    });
    const missing = item.upstreamTags.filter((_, i) => heads[i] === undefined);
    if (missing.length > 0) {
      throw new PolyarchError(
        "POLYARCH_E_UPSTREAM_MISSING",
        `${stores.upstreamName} has no ${missing.join(", ")}`,
        {
          hint: "check the version and the flavor's architectures; upstream may not publish every flavor for every architecture",
        },
      );
    }
    const receipt = receiptTag(
      item.targetTag,
      itemFingerprint(spec, item, stores.upstreamName, heads as ManifestHead[]),
    );
    if (!options.force) {
      const stored = await stores.target.headManifest(receipt);
      if (stored) {
        // The receipt covers the images, not what refers to them: a signature published upstream
        // since the last run is copied now, the index and its receipt left as they are.
        if (spec.referrers && !options.dryRun) {
          const subjects = await storedSubjects(stores, heads[0]!.digest, stored.digest);
          report.referrers = await carryReferrers(stores, subjects);
        }
        return done(report, "unchanged", stored.digest);
      }
    }
    if (options.dryRun) return report;

    context.log?.(`${targetReference}: reading ${item.upstreamTags.join(", ")} from ${stores.upstreamName}`);
    const images = await readUpstream(item, heads as ManifestHead[], stores.upstream);
    const entries: IndexEntry[] = [];
    const problems: string[] = [];
    report.verified = [];
    for (const image of images) {
      if (!(await stores.target.headManifest(image.manifest.digest))) {
        await copyImage(stores.upstream, stores.target, image.manifest, { transfers: stores.transfers });
      }
      const entry = await verifyImage(spec, image, stores.target, report, problems);
      if (entry) entries.push(entry);
    }
    if (problems.length > 0) {
      throw new PolyarchError("POLYARCH_E_HELPER_VERIFY", problems.join("; "), {
        hint: spec.fixPlatform
          ? "an image whose binaries are for another architecture cannot be fixed; wait for upstream to republish it, or drop the architecture"
          : "set fixPlatform: true in the spec to republish mislabelled images with a corrected config",
      });
    }
    if (spec.referrers) {
      // Referrers after the images they refer to, before the index tag: GitLab refuses them otherwise.
      report.referrers = await carryReferrers(
        stores,
        images.map((image) => image.manifest.digest),
      );
    }
    const index = buildIndex(item, entries, stores.upstreamName);
    const current = await stores.target.headManifest(item.targetTag);
    const write = tagWrite(current, index.digest);
    let action: RefreshAction = write;
    if (write !== "unchanged") {
      await stores.target.putManifest(index.bytes, index.mediaType, item.targetTag);
      if (report.fixed?.length) action = "fixed";
    }
    // Written last: a run cut short before this point is redone, never taken as current.
    await stores.target.putManifest(index.bytes, index.mediaType, receipt);
    return done(report, action, index.digest);
  } catch (error: unknown) {
    report.action = "failed";
    report.error = reportedError(error);
    context.log?.(`${targetReference}: ${report.error.message}`);
    return report;
  }
}

/** Copies what refers to upstream images (`subjects`) and the target lacks. */
async function carryReferrers(stores: Stores, subjects: readonly string[]): Promise<ReferrerReport> {
  const options = { transfers: stores.transfers, cache: stores.referrerCache };
  const found = await findReferrers(stores.upstream, subjects, options);
  return copyReferrers(stores.upstream, stores.target, found, options);
}

/**
 * The upstream images a current item's index was made from, whose referrers travel with it; none when
 * upstream can hold no referrers (no referrers API, no referrer tag: `probe` is any upstream digest).
 * Read from the stored index on the target, as upstream registries count GETs as pulls.
 */
async function storedSubjects(stores: Stores, probe: string, stored: string): Promise<string[]> {
  if (!(await stores.referrerCache.mayHoldReferrers(stores.upstream, probe))) return [];
  const parsed = parseFetchedManifest(await stores.target.getManifest(stored));
  if (parsed.kind !== "index") {
    throw new PolyarchError(
      "POLYARCH_E_BAD_MANIFEST",
      `${stored} in ${stores.target.name} is not the index polyarch wrote`,
      { hint: "its receipt tag names something else; run with --force to rebuild the item" },
    );
  }
  return upstreamImages(parsed.index);
}

/** Prunes stale receipts where the store can delete; a failure to prune does not fail the refresh. */
async function pruneTargetReceipts(
  target: ImageStore,
  context: RefreshContext,
): Promise<ReceiptCount | undefined> {
  if (!("deleteManifest" in target)) return undefined;
  try {
    return await pruneReceipts(target as DeletingStore);
  } catch (error: unknown) {
    context.log?.(`pruning receipts of ${target.name} failed: ${reportedError(error).message}`);
    return undefined;
  }
}

function done(report: RefreshItemReport, action: RefreshAction, digest: string): RefreshItemReport {
  report.action = action;
  report.digest = digest;
  report.reference = `${report.target}@${digest}`;
  return report;
}

/** Everything the target index is made from: upstream digests and the options that shape it. */
function itemFingerprint(
  spec: HelperSpec,
  item: RefreshItem,
  upstream: string,
  heads: ManifestHead[],
): string {
  return fingerprint({
    helper: 1,
    upstream,
    sources: item.upstreamTags.map((tag, i) => [tag, heads[i]!.digest]),
    platforms: item.platforms.map(formatPlatform),
    version: item.version,
    flavor: item.flavor,
    fixPlatform: spec.fixPlatform,
    binaries: spec.binaries,
  });
}

/** A per-architecture image as read from upstream, with what names it in messages. */
interface UpstreamImage {
  source: string;
  platform: RefreshItem["platforms"][number];
  manifest: FetchedManifest;
}

async function readUpstream(
  item: RefreshItem,
  heads: ManifestHead[],
  upstream: ImageStore,
): Promise<UpstreamImage[]> {
  if (item.mode === "stitch") {
    return Promise.all(
      item.upstreamTags.map(async (tag, i) => {
        const platform = item.platforms[i]!;
        const top = await upstream.getManifest(heads[i]!.digest);
        const parsed = parseFetchedManifest(top);
        if (parsed.kind === "image") return { source: tag, platform, manifest: top };
        // Since 17.8 each per-architecture tag is a one-entry index.
        const images = parsed.index.manifests.filter((entry) => !isAttestation(entry));
        const entry = images.length === 1 ? images[0]! : selectChild(images, platform, "exactly");
        if (!entry) {
          throw new PolyarchError(
            "POLYARCH_E_UPSTREAM_SHAPE",
            `${tag} is an index of ${images.length} images, none of them ${formatPlatform(platform)}`,
            { hint: "a per-architecture helper tag holds one image; check the upstream repository" },
          );
        }
        return { source: tag, platform, manifest: await imageManifest(upstream, entry, tag) };
      }),
    );
  }
  const tag = item.upstreamTags[0]!;
  const top = await upstream.getManifest(heads[0]!.digest);
  const parsed = parseFetchedManifest(top);
  if (parsed.kind !== "index") {
    throw new PolyarchError("POLYARCH_E_UPSTREAM_SHAPE", `${tag} is a single image, not a multi-arch index`, {
      hint: "from multiArchSince upstream publishes indexes; check upstream.multiArchSince in the spec",
    });
  }
  const images = parsed.index.manifests.filter((entry) => !isAttestation(entry));
  return Promise.all(
    item.platforms.map(async (platform) => {
      const entry = selectChild(images, platform, "exactly");
      if (!entry) {
        const offered = images.map((e) => platformName(e.platform)).join(", ");
        throw new PolyarchError(
          "POLYARCH_E_PLATFORM_NOT_FOUND",
          `${tag} has no ${formatPlatform(platform)} image; it holds ${offered}`,
          { hint: "drop that architecture for this flavor (flavors: [{ name, architectures }])" },
        );
      }
      const source = `${tag} (${formatPlatform(platform)})`;
      return { source, platform, manifest: await imageManifest(upstream, entry, source) };
    }),
  );
}

async function imageManifest(store: ImageStore, entry: Descriptor, source: string): Promise<FetchedManifest> {
  const manifest = await store.getManifest(entry.digest);
  if (parseFetchedManifest(manifest).kind !== "image") {
    throw new PolyarchError(
      "POLYARCH_E_UPSTREAM_SHAPE",
      `${source}: ${entry.digest} is an index, not an image`,
      {
        hint: "nested indexes are not helper images; check the upstream repository",
      },
    );
  }
  return manifest;
}

/**
 * Checks one image as the target now holds it; relabels it when allowed. Returns its index entry, or
 * undefined after adding to `problems`.
 */
async function verifyImage(
  spec: HelperSpec,
  image: UpstreamImage,
  target: ImageStore,
  report: RefreshItemReport,
  problems: string[],
): Promise<IndexEntry | undefined> {
  const parsed = parseFetchedManifest(image.manifest);
  if (parsed.kind !== "image") throw new Error(`${image.source} was checked to be an image`);
  const configBytes = await readBlob(target, parsed.manifest.config);
  const config = parseImageConfig(configBytes, `config of ${image.source}`);
  const binaries = await verifyBinaries({
    expected: {
      architecture: image.platform.architecture,
      ...(image.platform.variant !== undefined && { variant: image.platform.variant }),
    },
    paths: spec.binaries,
    layers: storeLayers(target, parsed.manifest.layers),
  });
  const verdict = judge(image.source, image.platform, config, binaries, "as the tag says");
  const platform = formatPlatform(image.platform);
  if (verdict.kind === "ok") {
    report.verified!.push({ source: image.source, platform, summary: verdict.summary });
    return { manifest: image.manifest, platform: image.platform };
  }
  if (verdict.kind !== "mislabelled" || !spec.fixPlatform) {
    problems.push(verdict.message);
    return undefined;
  }
  const fixed = relabel(image.manifest, configBytes, image.platform);
  await target.putBlob(fixed.config, async () => Readable.from([Buffer.from(fixed.config.bytes)]));
  await target.putManifest(fixed.manifest.bytes, fixed.manifest.mediaType);
  report.fixed = [
    ...(report.fixed ?? []),
    {
      source: image.source,
      label: verdict.label,
      platform,
      from: image.manifest.digest,
      to: fixed.manifest.digest,
    },
  ];
  report.verified!.push({ source: image.source, platform, summary: `${verdict.message}; relabelled` });
  return { manifest: fixed.manifest, platform: image.platform, relabelledFrom: image.manifest.digest };
}
