import { storeLayers, verifyBinaries } from "@polyarch/elf";
import {
  addStats,
  type CopyStats,
  copyImage,
  emptyStats,
  type FetchedManifest,
  formatPlatform,
  formatRepository,
  type ImageReference,
  type ImageStore,
  PolyarchError,
  platformName,
  sameRepository,
} from "@polyarch/oci";
import pLimit from "p-limit";
import { type MergePlan, planMerge } from "./plan.ts";
import type { MergeRequest } from "./request.ts";
import { type ResolvedSource, resolveSource } from "./resolve.ts";

export type TagAction = "created" | "updated" | "unchanged" | "planned";

export interface MergeReport {
  /** `registry/repository` or `oci:dir`. */
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  action: TagAction;
  tags: Array<{ tag: string; action: TagAction }>;
  manifests: Array<{ source: string; platform: string; digest: string; attestation?: boolean }>;
  /** Sources skipped by --ignore-missing. */
  missing: string[];
  /** With --verify-binaries: what was checked per source. */
  verified: Array<{ source: string; checked: number; summary: string }>;
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
 * then writes the target tag and the extra tags, each only if it does not already point there.
 */
export async function merge(request: MergeRequest, context: MergeContext): Promise<MergeReport> {
  const limit = pLimit(SOURCE_CONCURRENCY);
  const found = await Promise.all(
    request.sources.map((spec) =>
      limit(async () => ({
        spec,
        resolved: await resolveSource(spec, context.openStore(spec.reference), request),
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
  const sources = found.flatMap((f) => (f.resolved ? [f.resolved] : []));
  const plan = planMerge(request, sources);
  const storeOf = (source: ResolvedSource) => context.openStore(source.spec.reference);
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
    missing,
    verified,
    copied: emptyStats(),
    index: plan.bytes,
  };
  if (request.dryRun) return report;

  const target = context.openStore(request.target);
  const current = await target.headManifest(request.target.tag);
  if (current?.digest === plan.digest) {
    report.action = "unchanged";
  } else {
    await copyChildren(plan, { target, reference: request.target, storeOf }, report.copied);
    await target.putManifest(plan.bytes, plan.mediaType, request.target.tag);
    report.action = current ? "updated" : "created";
  }
  for (const entry of report.tags) {
    const head = await target.headManifest(entry.tag);
    if (head?.digest === plan.digest) {
      entry.action = "unchanged";
      continue;
    }
    await target.putManifest(plan.bytes, plan.mediaType, entry.tag);
    entry.action = head ? "updated" : "created";
  }
  return report;
}

interface CopyTarget {
  target: ImageStore;
  reference: ImageReference;
  storeOf: (source: ResolvedSource) => ImageStore;
}

async function copyChildren(plan: MergePlan, { target, reference, storeOf }: CopyTarget, stats: CopyStats) {
  for (const entry of plan.entries) {
    const { source } = entry;
    // Children in the target repository are already where the index will be.
    if (sameRepository(source.spec.reference, reference)) continue;
    if (await target.headManifest(entry.descriptor.digest)) continue;
    const manifest = entry.attestation
      ? attestationManifest(source, entry.descriptor.digest)
      : source.manifest;
    addStats(stats, await copyImage(storeOf(source), target, manifest));
  }
}

function attestationManifest(source: ResolvedSource, digest: string): FetchedManifest {
  const found = source.attestations.find((a) => a.manifest.digest === digest);
  if (!found) throw new Error(`attestation ${digest} of ${source.spec.text} was planned but not read`);
  return found.manifest;
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
