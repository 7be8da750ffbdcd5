import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import { addStats, type BlobTransfers, type CopyStats, copyImage, emptyStats } from "./copy.ts";
import { MediaType } from "./core/media-types.ts";
import {
  cosignTags,
  extendFallbackIndex,
  fallbackTag,
  isReferrerTag,
  referrerDescriptor,
  wantedReferrer,
} from "./core/referrers.ts";
import { type Descriptor, type ImageIndex, parseFetchedManifest } from "./core/schemas.ts";
import { RegistryRepository } from "./registry/repository.ts";
import type { ImageStore } from "./store.ts";

/** How deep referrers of referrers are followed (an image, its SBOM, the SBOM's signature, …). */
const REFERRER_DEPTH = 4;

/** What travels with an image. */
export interface ReferrerOptions {
  /** Copy only OCI referrers of these artifact types (cosign's tags are not filtered). @default every type */
  artifactTypes?: readonly string[];
  /** Shared by the copies of one run, so each blob is transferred into a store once. */
  transfers?: BlobTransfers;
  /** Shared by the copies of one run: what it learned about registries and tag lists. */
  cache?: ReferrerCache;
}

/**
 * What one run (a sync, a helper refresh) learns once and asks no more: whether a registry answers the
 * referrers API (a registry-wide property), and each repository's tags (the fallback and cosign tags are
 * looked up in them). A run that mirrors 50 tags of one repository from a registry without the API
 * pays one referrers request and one tag listing in all.
 */
export class ReferrerCache {
  readonly #api = new Map<string, Promise<boolean>>();
  readonly #tags = new Map<string, Promise<Set<string>>>();

  /**
   * The referrers of `digest` from the API, or undefined when the registry lacks it. The first request to
   * a registry decides for the run; requests that start while it is in flight wait for its answer.
   */
  async listed(store: ImageStore, digest: string): Promise<Descriptor[] | undefined> {
    if (!(store instanceof RegistryRepository)) return undefined;
    const known = this.#api.get(store.registry);
    if (known !== undefined && !(await known)) return undefined;
    const answer = store.getReferrers(digest);
    if (known === undefined) {
      const decided = answer.then(
        (listed) => listed !== undefined,
        () => {
          this.#api.delete(store.registry);
          return true;
        },
      );
      this.#api.set(store.registry, decided);
    }
    return answer;
  }

  /**
   * False when nothing in `store` can refer to anything: it lacks the referrers API and its tags hold no
   * fallback or cosign tag. Lets a caller skip reading an index for its children's digests. When the
   * registry's answer is not known yet, `probe` (any digest of the store) asks it.
   */
  async mayHoldReferrers(store: ImageStore, probe: string): Promise<boolean> {
    if (store instanceof RegistryRepository && (await this.listed(store, probe)) !== undefined) return true;
    return [...(await this.tags(store))].some(isReferrerTag);
  }

  /** The store's tags, listed once per run (or given: sync lists them to plan). */
  tags(store: ImageStore): Promise<Set<string>> {
    let tags = this.#tags.get(store.name);
    if (tags === undefined) {
      tags = store.listTags().then((list) => new Set(list));
      tags.catch(() => this.#tags.delete(store.name));
      this.#tags.set(store.name, tags);
    }
    return tags;
  }

  /** Records a repository's tags listed elsewhere. */
  knowTags(name: string, tags: readonly string[]): void {
    this.#tags.set(name, Promise.resolve(new Set(tags)));
  }
}

/** What refers to some digests in a store. */
export interface FoundReferrers {
  /** How the store listed its OCI referrers: its referrers API, or the `sha256-<hex>` fallback tags. */
  listedBy: "api" | "fallback-tag";
  /** OCI referrers (manifests with a `subject`), those the filter keeps. */
  referrers: Array<{ subject: string; descriptor: Descriptor }>;
  /** cosign's `sha256-<hex>.sig`/`.att`/`.sbom` tags. */
  tags: Array<{ subject: string; tag: string }>;
}

/** What copying referrers did. */
export interface ReferrerReport {
  /** How the source listed them. */
  source: FoundReferrers["listedBy"];
  /** How the target lists them: its referrers API, or the fallback tags polyarch wrote; unset when none were found. */
  target?: FoundReferrers["listedBy"];
  /** Referrers and cosign tags found at the source, and how many of each the target lacked and got. */
  found: { referrers: number; tags: number };
  copied: { referrers: number; tags: number };
  stats: CopyStats;
}

/**
 * Finds what refers to `subjects` in `store`: OCI referrers through the referrers API where the store is
 * a registry that answers it, else through the fallback tags, and cosign's digest tags. Costs one
 * referrers request per subject (one in all when the registry lacks the API), one tag listing, and one
 * GET per fallback tag that exists.
 */
export async function findReferrers(
  store: ImageStore,
  subjects: readonly string[],
  options: Pick<ReferrerOptions, "artifactTypes" | "cache"> = {},
): Promise<FoundReferrers> {
  const cache = options.cache ?? new ReferrerCache();
  const found: FoundReferrers = { listedBy: "fallback-tag", referrers: [], tags: [] };
  const seen = new Set(subjects);
  let level = [...subjects];
  // Referrers of referrers too (a signature of an SBOM), listed after the referrer they refer to, so a
  // copy writes each subject first; a few levels at most, as a loop of subjects cannot be stored.
  for (let depth = 0; level.length > 0 && depth < REFERRER_DEPTH; depth++) {
    const listed = await listThroughApi(store, level, cache);
    if (depth === 0 && listed) found.listedBy = "api";
    const tags = await cache.tags(store);
    const next: string[] = [];
    for (const [i, subject] of level.entries()) {
      let descriptors = listed?.[i];
      if (descriptors === undefined && tags.has(fallbackTag(subject))) {
        descriptors = (await fallbackIndexOf(store, subject))?.manifests;
      }
      for (const descriptor of descriptors ?? []) {
        if (!wantedReferrer(descriptor, options.artifactTypes)) continue;
        found.referrers.push({ subject, descriptor });
        if (!seen.has(descriptor.digest)) next.push(descriptor.digest);
        seen.add(descriptor.digest);
      }
      for (const tag of cosignTags(subject).filter((t) => tags.has(t))) found.tags.push({ subject, tag });
    }
    level = next;
  }
  return found;
}

/**
 * The referrers of each subject from the registry's referrers API, or undefined when the store has none
 * (a layout, or a registry that answers 404): the first answer decides for the rest.
 */
async function listThroughApi(
  store: ImageStore,
  subjects: readonly string[],
  cache: ReferrerCache,
): Promise<Descriptor[][] | undefined> {
  if (subjects.length === 0) return undefined;
  const [first, ...rest] = subjects as [string, ...string[]];
  const firstList = await cache.listed(store, first);
  if (firstList === undefined) return undefined;
  const others = await Promise.all(rest.map(async (subject) => (await cache.listed(store, subject)) ?? []));
  return [firstList, ...others];
}

/**
 * Copies what `found` lists from `source` into `target`, after the subjects themselves and before any tag
 * names them (GitLab's registry refuses a referrer whose subject is absent): each OCI referrer the target
 * lacks by digest (its blobs, then its manifest), then, where the target lacks the referrers API, the
 * subject's fallback index extended with them; then each cosign tag whose target differs.
 */
export async function copyReferrers(
  source: ImageStore,
  target: ImageStore,
  found: FoundReferrers,
  options: ReferrerOptions = {},
): Promise<ReferrerReport> {
  const report: ReferrerReport = {
    source: found.listedBy,
    found: { referrers: found.referrers.length, tags: found.tags.length },
    copied: { referrers: 0, tags: 0 },
    stats: emptyStats(),
  };
  const copyOptions = options.transfers ? { transfers: options.transfers } : {};
  const cache = options.cache ?? new ReferrerCache();
  const bySubject = new Map<string, Descriptor[]>();
  for (const { subject, descriptor } of found.referrers) {
    bySubject.set(subject, [...(bySubject.get(subject) ?? []), descriptor]);
  }
  let targetApi: boolean | undefined;
  for (const [subject, descriptors] of bySubject) {
    const listed = await cache.listed(target, subject);
    targetApi ??= listed !== undefined;
    const fallback = listed === undefined ? await fallbackIndexOf(target, subject) : undefined;
    const present = new Set((listed ?? fallback?.manifests ?? []).map((d) => d.digest));
    const entries: Descriptor[] = [];
    for (const descriptor of descriptors.filter((d) => !present.has(d.digest))) {
      if (await target.headManifest(descriptor.digest)) {
        entries.push(descriptor);
        continue;
      }
      const manifest = await source.getManifest(descriptor.digest);
      const copy = copyImage(source, target, manifest, copyOptions);
      addStats(report.stats, await refusalNamed(target, subject, copy));
      entries.push(referrerDescriptor(parseFetchedManifest(manifest)));
      report.copied.referrers += 1;
    }
    if (listed !== undefined) continue;
    const extended = extendFallbackIndex(fallback, entries);
    if (extended) await target.putManifest(extended.bytes, MediaType.OciIndex, fallbackTag(subject));
  }
  if (targetApi !== undefined) report.target = targetApi ? "api" : "fallback-tag";
  for (const { tag } of found.tags) {
    const [from, to] = await Promise.all([source.headManifest(tag), target.headManifest(tag)]);
    if (from === undefined || from.digest === to?.digest) continue;
    const manifest = await source.getManifest(from.digest);
    addStats(report.stats, await copyImage(source, target, manifest, { ...copyOptions, tag }));
    report.copied.tags += 1;
  }
  return report;
}

/** A subject's fallback index, or undefined when its tag is absent. */
async function fallbackIndexOf(store: ImageStore, subject: string): Promise<ImageIndex | undefined> {
  try {
    const parsed = parseFetchedManifest(await store.getManifest(fallbackTag(subject)));
    return parsed.kind === "index" ? parsed.index : undefined;
  } catch (error: unknown) {
    if (isPolyarchError(error, "POLYARCH_E_MANIFEST_UNKNOWN")) return undefined;
    throw error;
  }
}

/** A registry that turns a referrer away (ECR refuses some artifact manifests) is named as such. */
async function refusalNamed<T>(target: ImageStore, subject: string, copy: Promise<T>): Promise<T> {
  try {
    return await copy;
  } catch (error: unknown) {
    if (!isPolyarchError(error, "POLYARCH_E_REGISTRY")) throw error;
    throw new PolyarchError(
      "POLYARCH_E_REFERRER_REFUSED",
      `${target.name} refused a referrer of ${subject}: ${error.message}`,
      {
        cause: error,
        hint: "the registry does not take this kind of artifact; leave it out with referrerFilters, or set referrers: false for this item",
      },
    );
  }
}
