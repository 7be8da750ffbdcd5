import { PolyarchError } from "@polyarch/errors";
import {
  type BlobTransfers,
  type CopyProgress,
  type CopyStats,
  copyImage,
  copyReferrers,
  emptyStats,
  type FetchedManifest,
  type FoundReferrers,
  findReferrers,
  fingerprint,
  formatPlatform,
  formatReference,
  formatRepository,
  type ImageReference,
  type ImageStore,
  isIndexMediaType,
  type ManifestHead,
  manifestReference,
  type Platform,
  parseFetchedManifest,
  parseImageConfig,
  platformsEqual,
  ReferrerCache,
  type ReferrerReport,
  readBlob,
  receiptTag,
  type TagWrite,
} from "@polyarch/oci";
import { filterIndex } from "./filter.ts";
import { subjectsOf } from "./subjects.ts";

export interface MirrorRequest {
  /** A tag or digest reference, in a registry or an `oci:` layout. */
  source: ImageReference;
  /** Where the copy goes; without a tag it takes the source's tag (or is stored by digest). */
  target: ImageReference;
  /** Keep only these children of an index (it is rebuilt, so its digest changes). @default every child */
  platforms?: Platform[];
  /** Find out what would happen, store nothing. @default false */
  dryRun?: boolean;
  /** Blobs transferred at once. @default 4 */
  concurrency?: number;
  /**
   * With `platforms`, also tag the result with a receipt (see receipt.ts), so the next run knows it
   * is current from HEAD requests alone. @default false
   */
  receipts?: boolean;
  /**
   * Carry what refers to the image (OCI referrers and cosign's digest tags), written after the image and
   * before its tag. @default true
   */
  referrers?: boolean;
  /** Carry only OCI referrers of these artifact types (cosign's tags are not filtered). @default every type */
  artifactTypes?: readonly string[];
}

export interface MirrorContext {
  openStore(reference: ImageReference): ImageStore;
  /**
   * Runs the part of a mirror that goes beyond HEAD requests (reading manifests and blobs), so a
   * caller can hold it back, e.g. while a registry's pull quota runs low.
   */
  transfer?: <T>(run: () => Promise<T>) => Promise<T>;
  onProgress?: (event: CopyProgress) => void;
  /** Shared by mirrors that run at the same time, so each blob is transferred into a store once. */
  transfers?: BlobTransfers;
  /** Shared by the mirrors of one run: which registries answer the referrers API, and tag lists. */
  referrerCache?: ReferrerCache;
}

export type MirrorAction = TagWrite;

export interface MirrorReport {
  /** The source as given, normalized. */
  source: string;
  /** What the source reference pointed at. */
  sourceDigest: string;
  /** `registry/repository` or `oci:dir`. */
  repository: string;
  /** `repository:tag`, or `repository@digest` when there is no tag. */
  target: string;
  /** What the target holds (or would hold, with dryRun). */
  digest: string;
  mediaType: string;
  /** With dryRun: what a real run would do. */
  action: MirrorAction;
  dryRun: boolean;
  /** Set when platforms were dropped: the index was rebuilt, so `digest` differs from `sourceDigest`. */
  rebuilt?: { kept: string[]; dropped: string[] };
  /** Platforms of the images stored, when the source's manifests were read. */
  platforms?: string[];
  copied: CopyStats;
  /** What refers to the image and came along (unless `referrers: false` or dryRun). */
  referrers?: ReferrerReport;
}

/**
 * Copies one image or index from one store to another. Without `platforms` the source's bytes are
 * stored as they are (the digest is preserved) and a target that already holds the source's digest
 * costs one HEAD on each side. With `platforms` the index keeps only those children.
 */
export async function mirror(request: MirrorRequest, context: MirrorContext): Promise<MirrorReport> {
  const source = context.openStore(request.source);
  const target = context.openStore(request.target);
  const check = await checkStores(request, source, target);
  const report: MirrorReport = {
    source: check.source,
    sourceDigest: check.sourceDigest,
    repository: formatRepository(request.target),
    target: check.target,
    digest: check.digest ?? check.sourceDigest,
    mediaType: check.mediaType,
    action: "unchanged",
    dryRun: request.dryRun ?? false,
    copied: emptyStats(),
  };
  const carry = request.referrers !== false && !report.dryRun;
  const referrerOptions = {
    ...(request.artifactTypes && { artifactTypes: request.artifactTypes }),
    ...(context.transfers && { transfers: context.transfers }),
    cache: context.referrerCache ?? new ReferrerCache(),
  };
  if (check.upToDate) {
    if (!carry) return report;
    const found = await referrersOfStored(source, target, report, referrerOptions);
    report.referrers = await copyReferrers(source, target, found, referrerOptions);
    return report;
  }
  const { platforms } = request;
  const { tag, receipt } = check;
  let current = check.current;
  if (!platforms && report.dryRun) return { ...report, action: current ? "updated" : "created" };

  const transfer = context.transfer ?? ((run) => run());
  return transfer(async () => {
    const fetched = await source.getManifest(check.sourceDigest);
    const top = platforms ? await selectPlatforms(source, fetched, platforms, report) : fetched;
    if (!platforms) report.platforms = await platformsOf(top);
    report.digest = top.digest;
    report.mediaType = top.mediaType;
    if (platforms) {
      current = await target.headManifest(tag ?? top.digest);
      if (current?.digest === top.digest) {
        if (receipt !== undefined && !report.dryRun)
          await target.putManifest(top.bytes, top.mediaType, receipt);
        return report;
      }
    }
    report.action = current ? "updated" : "created";
    if (report.dryRun) return report;
    const found = carry
      ? await findReferrers(source, subjectsOf(top, !platforms), referrerOptions)
      : undefined;
    const referred = found !== undefined && (found.referrers.length > 0 || found.tags.length > 0);
    // With referrers the image goes by digest, then its referrers, then the tag, last.
    report.copied = await copyImage(source, target, top, {
      ...(tag !== undefined && !referred && { tag }),
      ...(request.concurrency !== undefined && { concurrency: request.concurrency }),
      ...(context.onProgress && { onProgress: context.onProgress }),
      ...(context.transfers && { transfers: context.transfers }),
    });
    if (found) report.referrers = await copyReferrers(source, target, found, referrerOptions);
    if (referred && tag !== undefined) await target.putManifest(top.bytes, top.mediaType, tag);
    // The receipt is written after the tag: a run cut short in between is redone, never trusted.
    if (receipt !== undefined) await target.putManifest(top.bytes, top.mediaType, receipt);
    return report;
  });
}

/**
 * What refers to a copy the target already holds: the top manifest's referrers (unless the index was
 * rebuilt: then nothing refers to its digest), then, when the source may hold any more, those of the
 * children, read from the target's copy (the same bytes: no GET on the source, which Docker Hub counts).
 */
async function referrersOfStored(
  source: ImageStore,
  target: ImageStore,
  report: MirrorReport,
  options: { artifactTypes?: readonly string[]; cache: ReferrerCache },
): Promise<FoundReferrers> {
  const own = report.digest === report.sourceDigest ? [report.digest] : [];
  const top = await findReferrers(source, own, options);
  if (
    !isIndexMediaType(report.mediaType) ||
    !(await options.cache.mayHoldReferrers(source, report.sourceDigest))
  )
    return top;
  const children = subjectsOf(await target.getManifest(report.digest), false);
  const more = await findReferrers(source, children, options);
  return {
    listedBy: own.length > 0 ? top.listedBy : more.listedBy,
    referrers: [...top.referrers, ...more.referrers],
    tags: [...top.tags, ...more.tags],
  };
}

/** Whether a mirror is current, found out with HEAD requests only (one on each side). */
export interface MirrorCheck {
  source: string;
  sourceDigest: string;
  mediaType: string;
  /** `repository:tag`, or `repository@digest` when there is no tag. */
  target: string;
  tag?: string;
  /** True when the target holds the source's digest, or a receipt says it holds the filtered copy. */
  upToDate: boolean;
  /** The target's digest, when known from the HEADs. */
  digest?: string;
  /** What the target tag points at now, when it was asked (unfiltered mirrors). */
  current?: ManifestHead;
  /** The receipt tag of a filtered mirror with receipts. */
  receipt?: string;
}

/** HEADs the source, then the target tag (or, for a filtered mirror with receipts, the receipt tag). */
export async function checkMirror(
  request: MirrorRequest,
  context: Pick<MirrorContext, "openStore">,
): Promise<MirrorCheck> {
  return checkStores(request, context.openStore(request.source), context.openStore(request.target));
}

async function checkStores(
  request: MirrorRequest,
  source: ImageStore,
  target: ImageStore,
): Promise<MirrorCheck> {
  const tag = targetTag(request);
  const head = await source.headManifest(manifestReference(request.source));
  if (!head) {
    throw new PolyarchError(
      "POLYARCH_E_MANIFEST_UNKNOWN",
      `${formatReference(request.source)} does not exist`,
      {
        hint: "check the reference; `polyarch inspect` shows what a repository holds",
      },
    );
  }
  const check: MirrorCheck = {
    source: formatReference(request.source),
    sourceDigest: head.digest,
    mediaType: head.mediaType,
    target: `${formatRepository(request.target)}${tag === undefined ? `@${head.digest}` : `:${tag}`}`,
    ...(tag !== undefined && { tag }),
    upToDate: false,
  };
  const { platforms } = request;
  if (!platforms) {
    const current = await target.headManifest(tag ?? head.digest);
    if (current) check.current = current;
    check.upToDate = current?.digest === head.digest;
    if (check.upToDate) check.digest = head.digest;
    return check;
  }
  if (request.receipts && tag !== undefined) {
    const platformList = platforms.map(formatPlatform).sort();
    check.receipt = receiptTag(tag, fingerprint({ mirror: head.digest, platforms: platformList }));
    const stored = await target.headManifest(check.receipt);
    if (stored) {
      check.upToDate = true;
      check.digest = stored.digest;
      check.mediaType = stored.mediaType;
    }
  }
  return check;
}

/** The tag the copy is stored under: the target's, else the source's; none for a digest-only copy. */
export function targetTag(request: Pick<MirrorRequest, "source" | "target">): string | undefined {
  const { source, target } = request;
  if (target.digest !== undefined) {
    throw new PolyarchError("POLYARCH_E_BAD_TARGET", `the target ${formatReference(target)} names a digest`, {
      hint: "name the target repository, optionally with a tag: the digest is the source's",
    });
  }
  const tag = target.tag ?? source.tag;
  if (tag === undefined && target.kind === "layout") {
    throw new PolyarchError(
      "POLYARCH_E_BAD_TARGET",
      `the source ${formatReference(source)} has no tag, so ${formatReference(target)} needs one`,
      { hint: "write the layout target as oci:<dir>:<tag>; an untagged manifest in a layout is unreachable" },
    );
  }
  return tag;
}

/** The index (or image) to store when only `platforms` are wanted; records what was kept and dropped. */
async function selectPlatforms(
  source: ImageStore,
  manifest: FetchedManifest,
  platforms: readonly Platform[],
  report: MirrorReport,
): Promise<FetchedManifest> {
  const parsed = parseFetchedManifest(manifest);
  if (parsed.kind === "index") {
    const filtered = filterIndex(manifest, platforms, report.source);
    report.platforms = filtered.kept;
    if (filtered.rebuilt) report.rebuilt = { kept: filtered.kept, dropped: filtered.dropped };
    return filtered.manifest;
  }
  const config = parseImageConfig(
    await readBlob(source, parsed.manifest.config),
    `config of ${report.source}`,
  );
  const platform = { os: config.os, architecture: config.architecture, variant: config.variant };
  if (!platforms.some((want) => platformsEqual(want, platform))) {
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_NOT_FOUND",
      `${report.source} is a single ${formatPlatform(platform)} image, not ${platforms.map(formatPlatform).join(", ")}`,
      { hint: "drop the platform filter, or name an index that holds those platforms" },
    );
  }
  report.platforms = [formatPlatform(platform)];
  return manifest;
}

/** The platforms an index lists (an image's would need its config read: left out). */
async function platformsOf(manifest: FetchedManifest): Promise<string[] | undefined> {
  const parsed = parseFetchedManifest(manifest);
  if (parsed.kind !== "index") return undefined;
  return parsed.index.manifests.flatMap((entry) =>
    entry.platform && entry.platform.os !== "unknown" ? [formatPlatform(entry.platform)] : [],
  );
}
