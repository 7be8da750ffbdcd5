import { PolyarchError } from "@polyarch/errors";
import { type HelperSpec, parseHelperSpec, type RefreshReport, refresh } from "@polyarch/helper-image";
import { hasWrittenTag, openStore, parseWrittenReference } from "@polyarch/oci";
import { referrersCopiedLine, table } from "../format.ts";
import { itemsOutcome, type Outcome } from "../outcome.ts";
import { type Io, writeLine } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";
import { readSpecFile } from "../spec-file.ts";

export interface HelperOptions extends RegistryFlags {
  /** `registry/repository` of the upstream helper images, instead of the spec's. */
  upstream?: string;
  /** The target repository, instead of the spec's. */
  target?: string;
  force?: boolean;
}

/** `polyarch helper refresh FILE` (and, with dryRun, `polyarch helper plan FILE`). */
export async function helperCommand(
  file: string,
  options: HelperOptions,
  io: Io,
  mode: { dryRun: boolean },
): Promise<{ report: RefreshReport; outcome: Outcome }> {
  const spec = withOverrides(
    parseHelperSpec(
      await readSpecFile(file, "a helper spec (images/gitlab-runner-helper/helper.yaml)"),
      file,
    ),
    options,
  );
  const target = parseWrittenReference(spec.target.repository);
  const { client } = await createClient(
    options,
    io,
    target.kind === "registry" ? target.registry : undefined,
  );
  try {
    const report = await refresh(
      spec,
      {
        openStore: (reference) => openStore(reference, client),
        log: (message) => {
          if (options.verbose) writeLine(io.stderr, message);
        },
      },
      { dryRun: mode.dryRun, force: options.force ?? false },
    );
    return { report, outcome: itemsOutcome(report.counts.failed, report.items.length) };
  } finally {
    await client.close();
  }
}

/** `--upstream` and `--target` replace the spec's repositories (air-gapped mirrors, tests). */
export function withOverrides(
  spec: HelperSpec,
  options: Pick<HelperOptions, "upstream" | "target">,
): HelperSpec {
  let result = spec;
  if (options.upstream !== undefined) {
    const upstream = repositoryFlag("--upstream", options.upstream);
    if (upstream.kind !== "registry") {
      throw new PolyarchError(
        "POLYARCH_E_BAD_FLAG",
        `--upstream ${options.upstream} is not a registry repository`,
        { hint: "e.g. --upstream registry.internal/gitlab-org/gitlab-runner/gitlab-runner-helper" },
      );
    }
    result = {
      ...result,
      upstream: { ...result.upstream, registry: upstream.registry, repository: upstream.repository },
    };
  }
  if (options.target !== undefined) {
    repositoryFlag("--target", options.target);
    result = { ...result, target: { ...result.target, repository: options.target } };
  }
  return result;
}

function repositoryFlag(flag: string, text: string) {
  const reference = parseWrittenReference(text);
  if (
    reference.digest !== undefined ||
    (reference.kind === "registry" ? hasWrittenTag(text) : reference.tag)
  ) {
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", `${flag} ${text} names a tag or digest`, {
      hint: "give the repository only; tags come from the spec",
    });
  }
  return reference;
}

/** The human table: one line per version/flavor, then fixes and failures spelled out. */
export function formatRefreshReport(report: RefreshReport): string {
  const rows = report.items.map((item) => [
    item.action,
    item.version,
    item.flavor,
    item.target,
    item.digest ?? "",
    item.platforms.join(","),
  ]);
  const lines = table([["ACTION", "VERSION", "FLAVOR", "TARGET", "DIGEST", "PLATFORMS"], ...rows]);
  for (const item of report.items) {
    for (const fix of item.fixed ?? []) {
      lines.push(
        `fixed: ${fix.source} was labelled ${fix.label}; republished as ${fix.platform} (${fix.from} → ${fix.to})`,
      );
    }
  }
  for (const item of report.items) {
    if (item.error) lines.push(`failed: ${item.target}: ${item.error.message}`);
  }
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`)
    .join(", ");
  lines.push(`${report.dryRun ? "plan" : "refresh"}: ${counts || "no versions selected"}`);
  const referrers = referrersCopiedLine(report.items);
  if (referrers) lines.push(referrers);
  const { receipts } = report;
  if (receipts) {
    const kept =
      receipts.staleKept === 0
        ? ""
        : receipts.deletes === "refused"
          ? `; ${receipts.staleKept} stale kept: the registry does not allow deletes`
          : `; ${receipts.staleKept} stale kept: another tag names their digest`;
    lines.push(`receipts: ${receipts.held} in ${report.repository} (${receipts.pruned} stale pruned${kept})`);
  }
  return `${lines.join("\n")}\n`;
}
