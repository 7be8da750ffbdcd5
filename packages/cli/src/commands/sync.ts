import { parseShard, parseSyncSpec, type SyncReport, sync } from "@polyarch/mirror";
import { openStore } from "@polyarch/oci";
import { referrersCopiedLine, table } from "../format.ts";
import { itemsOutcome, type Outcome } from "../outcome.ts";
import { type Io, writeLine } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";
import { readSpecFile } from "../spec-file.ts";

export interface SyncOptions extends RegistryFlags {
  dryRun?: boolean;
  /** `INDEX/TOTAL`: mirror only this shard's images. */
  shard?: string;
}

/** `polyarch sync FILE`: plans the spec's images, then mirrors the ones that are out of date. */
export async function syncCommand(
  file: string,
  options: SyncOptions,
  io: Io,
): Promise<{ report: SyncReport; outcome: Outcome }> {
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  const spec = parseSyncSpec(await readSpecFile(file, "a sync spec (see packages/mirror/README.md)"), file);
  const { client } = await createClient(options, io, undefined);
  try {
    const report = await sync(
      spec,
      {
        openStore: (reference) => openStore(reference, client),
        rateLimit: (registry) => client.rateLimit(registry),
        log: (message) => writeLine(io.stderr, message),
      },
      { dryRun: options.dryRun ?? false, ...(shard && { shard }) },
    );
    return { report, outcome: itemsOutcome(report.counts.failed, report.items.length) };
  } finally {
    await client.close();
  }
}

/** The human table (stderr): one line per item, then the counts and the failures' messages. */
export function formatSyncReport(report: SyncReport): string {
  const rows = report.items.map((item) => [
    item.action,
    item.source,
    "→",
    item.target,
    item.digest ?? item.error?.code ?? "",
  ]);
  const lines = table(rows);
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`)
    .join(", ");
  lines.push(`${report.dryRun ? "plan" : "sync"}: ${counts || "nothing to do"}`);
  const referrers = referrersCopiedLine(report.items);
  if (referrers) lines.push(referrers);
  for (const item of report.items) {
    if (item.error)
      lines.push(
        `failed: ${item.source}: ${item.error.message}${item.error.hint ? ` (${item.error.hint})` : ""}`,
      );
  }
  for (const item of report.items) {
    if (item.rebuilt) {
      lines.push(
        `rebuilt: ${item.target} without ${item.rebuilt.dropped.join(", ")} (its digest differs from the source's)`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
