import { Readable } from "node:stream";
import { judge, storeLayers, verifyBinaries } from "@polyarch/elf";
import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import {
  addStats,
  type CopyStats,
  copyImage,
  copyReferrers,
  emptyStats,
  type FetchedManifest,
  findReferrers,
  formatPlatform,
  formatRepository,
  type ImageReference,
  type ImageStore,
  type Platform,
  platformName,
  ReferrerCache,
  readBlob,
  relabel,
  sameRepository,
  type TagWrite,
  tagWrite,
} from "@polyarch/oci";
import pLimit from "p-limit";
import { configuredPlatform, contradictsConfig, type MergePlan, planMerge } from "./plan.ts";
import type { MergeRequest, MergeRules } from "./request.ts";
import { type ResolvedSource, resolveSources } from "./resolve.ts";
import { checkMergeRequest } from "./validate.ts";

export type TagAction = TagWrite | "planned";

export interface MergeReport {
  /** `registry/repository` or `oci:dir`. */
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  action: TagAction;
  tags: Array<{ tag: string; action: TagAction }>;
  manifests: Array<{ source: string; platform: string; digest: string; attestation?: boolean }>;
  /** Attestations of index sources left out by `keepAttestations: false` (`--no-attestations`). */
  droppedAttestations: Array<{ source: string; digest: string; attests: string }>;
  /** Sources skipped by --ignore-missing. */
  missing: string[];
  /** With --verify-binaries: what was checked per source. */
  verified: Array<{ source: string; checked: number; summary: string }>;
  /** Sources merged under their stated platform although their config says another (see warnings). */
  relabelled: Array<{ source: string; config: string; platform: string; from?: string; to?: string }>;
  /** What the user should know: mislabelled configs, a Docker list over OCI children. */
  warnings: string[];
  copied: CopyStats;
  /** The index, exactly as pushed (or as it would be, with --dry-run). */
  index: Uint8Array;
}

export interface MergeContext {
  openStore(reference: ImageReference): ImageStore;
  log?: (message: string) => void;
}

/** Sources read at once. */
const SOURCE_CONCURRENCY = 8;

/**
 * Merges per-platform images into one index under `request.target`: reads every source in
 * parallel, plans the index, copies the children the target lacks (by digest, never tagged),
 * then writes the target tag and the extra tags, each only if it does not already point there. A request
 * that breaks merge's rules (`checkMergeRequest`) is refused before any store is opened.
 */
export async function merge(request: MergeRequest, context: MergeContext): Promise<MergeReport> {
  checkMergeRequest(request);
  const limit = pLimit(SOURCE_CONCURRENCY);
  const rules = request.rules ?? "merge";
  const found = await Promise.all(
    request.sources.map((spec) =>
      limit(async () => ({
        spec,
        resolved: await resolveSources(spec, context.openStore(spec.reference), {
          keepAttestations: request.keepAttestations || rules === "manifest-tool",
          rules,
        }),
      })),
    ),
  );
  const missing = found.filter((f) => f.resolved === undefined).map((f) => f.spec.text);
  if (missing.length > 0 && !request.ignoreMissing) {
    throw new PolyarchError(
      "POLYARCH_E_SOURCE_MISSING",
      `source image${missing.length > 1 ? "s" : ""} not found: ${missing.join(", ")}`,
      {
        hint: "check the references and that the per-architecture jobs pushed them; --ignore-missing merges the rest",
      },
    );
  }
  for (const text of missing) context.log?.(`skipping ${text}: not found (--ignore-missing)`);
  const sources = found.flatMap((f) => f.resolved ?? []);
  const warnings: string[] = [];
  const storeOf = (source: ResolvedSource) => context.openStore(source.spec.reference);
  const relabelled = await settleContradictions(
    sources,
    { rules, fixPlatform: request.fixPlatform ?? false, storeOf },
    warnings,
  );
  const plan = planMerge(request, sources);
  warnings.push(...plan.warnings);
  for (const warning of warnings) context.log?.(`warning: ${warning}`);
  const verified = request.verifyBinaries ? await verifySources(sources, storeOf) : [];

  const report: MergeReport = {
    repository: formatRepository(request.target),
    tag: request.target.tag,
    digest: plan.digest,
    mediaType: plan.mediaType,
    action: "planned",
    tags: request.tags.map((tag) => ({ tag, action: "planned" })),
    manifests: plan.entries.map((e) => ({
      source: e.source.spec.text,
      platform: platformName(e.descriptor.platform),
      digest: e.descriptor.digest,
      ...(e.attestation && { attestation: true }),
    })),
    droppedAttestations: sources.flatMap((source) =>
      (source.droppedAttestations ?? []).map((descriptor) => ({
        source: source.spec.text,
        digest: descriptor.digest,
        attests: source.manifest.digest,
      })),
    ),
    missing,
    verified,
    relabelled,
    warnings,
    copied: emptyStats(),
    index: plan.bytes,
  };
  if (request.dryRun) return report;

  const target = context.openStore(request.target);
  const current = await target.headManifest(request.target.tag);
  report.action = tagWrite(current, plan.digest);
  if (report.action !== "unchanged") {
    const copyTarget = { target, reference: request.target, storeOf };
    await pushRelabelled(sources, copyTarget, report.copied);
    const copied = await copyChildren(plan, copyTarget, report.copied);
    if (request.referrers !== false) await copyChildReferrers(copied, copyTarget, report.copied);
    await writeTag(target, plan, report.repository, request.target.tag, current?.digest);
  }
  for (const entry of report.tags) {
    const head = await target.headManifest(entry.tag);
    entry.action = tagWrite(head, plan.digest);
    if (entry.action === "unchanged") continue;
    await writeTag(target, plan, report.repository, entry.tag, head?.digest);
  }
  return report;
}

/**
 * Points `tag` at the index. A registry with immutable tags (ECR's immutable repositories, Harbor's
 * immutability rules) refuses to move a tag that exists: that refusal is named as such, not as a raw
 * registry error.
 */
async function writeTag(
  target: ImageStore,
  plan: MergePlan,
  repository: string,
  tag: string,
  current: string | undefined,
): Promise<void> {
  try {
    await target.putManifest(plan.bytes, plan.mediaType, tag);
  } catch (error: unknown) {
    if (current === undefined || !isImmutableRefusal(error)) throw error;
    throw new PolyarchError(
      "POLYARCH_E_TAG_IMMUTABLE",
      `${repository}:${tag} points at ${current}, not at the merged ${plan.digest}, and the registry refuses to move it: its tags are immutable`,
      {
        hint: "merge under a tag no earlier run wrote (e.g. the commit SHA and pipeline id); a re-run that merges the same images succeeds without writing",
        cause: error,
      },
    );
  }
}

function isImmutableRefusal(error: unknown): boolean {
  if (!isPolyarchError(error)) return false;
  if (error.code !== "POLYARCH_E_REGISTRY" && error.code !== "POLYARCH_E_DENIED") return false;
  const { message } = error;
  return /immutab/i.test(message) || /TAG_INVALID.*already exists/i.test(message);
}

interface CopyTarget {
  target: ImageStore;
  reference: ImageReference;
  storeOf: (source: ResolvedSource) => ImageStore;
}

async function copyChildren(plan: MergePlan, { target, reference, storeOf }: CopyTarget, stats: CopyStats) {
  const copied: ResolvedSource[] = [];
  for (const entry of plan.entries) {
    const { source } = entry;
    // Children in the target repository are already where the index will be.
    if (sameRepository(source.spec.reference, reference)) continue;
    if (await target.headManifest(entry.descriptor.digest)) continue;
    const manifest = entry.attestation
      ? attestationManifest(source, entry.descriptor.digest)
      : source.manifest;
    addStats(stats, await copyImage(storeOf(source), target, manifest));
    if (!entry.attestation && !source.relabelled) copied.push(source);
  }
  return copied;
}

/**
 * What refers to the images copied from other repositories (a signature the build job made, an SBOM)
 * comes along, after the images and before the index tag, as mirror carries it.
 */
async function copyChildReferrers(
  copied: ResolvedSource[],
  { target, storeOf }: CopyTarget,
  stats: CopyStats,
) {
  const cache = new ReferrerCache();
  for (const source of copied) {
    const store = storeOf(source);
    const found = await findReferrers(store, [source.manifest.digest], { cache });
    addStats(stats, (await copyReferrers(store, target, found, { cache })).stats);
  }
}

function attestationManifest(source: ResolvedSource, digest: string): FetchedManifest {
  const found = source.attestations.find((a) => a.manifest.digest === digest);
  if (!found) throw new Error(`attestation ${digest} of ${source.spec.text} was planned but not read`);
  return found.manifest;
}

/**
 * Sources whose stated platform the config contradicts are judged by their binaries
 * (`@polyarch/elf`): binaries agree with the stated platform → the config is mislabelled: merged as
 * stated, with a warning (or, with fixPlatform, relabelled); binaries agree with the config → the
 * wrong image was named: fail; no binaries → manifest-tool rules merge as stated (as manifest-tool
 * does), merge rules fail. Marks the sources it accepts; returns what it accepted.
 */
async function settleContradictions(
  sources: ResolvedSource[],
  {
    rules,
    fixPlatform,
    storeOf,
  }: { rules: MergeRules; fixPlatform: boolean; storeOf: CopyTarget["storeOf"] },
  warnings: string[],
): Promise<MergeReport["relabelled"]> {
  const accepted: MergeReport["relabelled"] = [];
  for (const source of sources.filter((s) => contradictsConfig(s, rules))) {
    const stated = source.spec.platform as Platform;
    const config = formatPlatform(configuredPlatform(source));
    const want = formatPlatform(stated);
    const binaries = await verifyBinaries({
      expected: {
        architecture: stated.architecture,
        ...(stated.variant !== undefined && { variant: stated.variant }),
      },
      layers: storeLayers(storeOf(source), source.image.layers),
    });
    const verdict = judge(source.spec.text, stated, source.config, binaries, `as ${want} was stated`);
    if (verdict.kind === "wrong-binaries" || (verdict.kind === "unverifiable" && rules === "merge")) {
      const why =
        verdict.kind === "wrong-binaries"
          ? `; its binaries agree with the config (${verdict.message})`
          : `, and it has no ELF binaries to tell which is right (${binaries.notes.join("; ") || "none found"})`;
      throw new PolyarchError(
        "POLYARCH_E_PLATFORM_MISMATCH",
        `${source.spec.text} is merged as ${want} but its config says ${config}${why}`,
        {
          hint:
            verdict.kind === "wrong-binaries"
              ? "the wrong image was named for this platform: fix the source reference, or rebuild the image natively"
              : "check the image; `polyarch push` (manifest-tool's rules) would merge it as stated, with a warning",
        },
      );
    }
    if (verdict.kind === "ok") continue;
    source.statedWins = verdict.kind === "mislabelled" ? "mislabelled" : "unjudged";
    const entry: MergeReport["relabelled"][number] = { source: source.spec.text, config, platform: want };
    if (verdict.kind === "unverifiable") {
      warnings.push(
        `${source.spec.text}: its config says ${config}, not ${want}, and it has no ELF binaries to tell which is right; merged as ${want}, as manifest-tool does`,
      );
    } else if (fixPlatform) {
      const configBytes = await readBlob(storeOf(source), source.image.config);
      const fixed = relabel(source.manifest, configBytes, stated);
      entry.from = source.manifest.digest;
      entry.to = fixed.manifest.digest;
      source.relabelled = { from: source.manifest.digest, config: fixed.config };
      source.manifest = fixed.manifest;
      source.config = { ...source.config, ...configuredOf(stated) };
      warnings.push(
        `${verdict.message}; the index lists a copy relabelled ${want} (${fixed.manifest.digest})`,
      );
    } else {
      warnings.push(
        `${verdict.message}: its config is mislabelled; merged as ${want}. Republish it fixed with --fix-platform (writes a corrected config and manifest beside the index, as \`polyarch helper refresh\` does)`,
      );
    }
    accepted.push(entry);
  }
  return accepted;
}

function configuredOf(platform: Platform): { os: string; architecture: string; variant?: string } {
  return {
    os: platform.os,
    architecture: platform.architecture,
    ...(platform.variant !== undefined && { variant: platform.variant }),
  };
}

/** Writes each relabelled source into the target: its layers and the original blobs, then the new config and manifest. */
async function pushRelabelled(
  sources: ResolvedSource[],
  { target, reference, storeOf }: CopyTarget,
  stats: CopyStats,
) {
  for (const source of sources) {
    if (!source.relabelled) continue;
    if (await target.headManifest(source.manifest.digest)) continue;
    const { from, config } = source.relabelled;
    const store = storeOf(source);
    if (!sameRepository(source.spec.reference, reference)) {
      addStats(stats, await copyImage(store, target, await store.getManifest(from)));
    }
    await target.putBlob(config, async () => Readable.from([Buffer.from(config.bytes)]));
    await target.putManifest(source.manifest.bytes, source.manifest.mediaType);
  }
}

async function verifySources(
  sources: ResolvedSource[],
  storeOf: (source: ResolvedSource) => ImageStore,
): Promise<MergeReport["verified"]> {
  const results: MergeReport["verified"] = [];
  for (const source of sources) {
    const expected = source.config;
    const result = await verifyBinaries({
      expected: {
        architecture: expected.architecture,
        ...(expected.variant !== undefined && { variant: expected.variant }),
      },
      layers: storeLayers(storeOf(source), source.image.layers),
    });
    if (!result.ok) {
      const first = result.mismatches[0];
      throw new PolyarchError(
        "POLYARCH_E_BINARY_MISMATCH",
        `${source.spec.text} is labelled ${formatPlatform(source.config)} but ${first?.path} is ${first?.foundName}` +
          (result.mismatches.length > 1 ? ` (and ${result.mismatches.length - 1} more binaries)` : ""),
        {
          hint: "the image was built on the wrong runner or from a cache shared across architectures; rebuild it natively",
        },
      );
    }
    results.push({ source: source.spec.text, checked: result.checked, summary: result.summary });
  }
  return results;
}
