import { PolyarchError } from "@polyarch/errors";
import { type MirrorReport, mirror } from "@polyarch/mirror";
import {
  type CopyProgress,
  type CopyStats,
  openStore,
  parsePlatformList,
  parseReference,
  parseWrittenReference,
} from "@polyarch/oci";
import { formatSize } from "../format.ts";
import type { Io } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";

export interface MirrorOptions extends RegistryFlags {
  platforms?: string;
  dryRun?: boolean;
  concurrency?: string;
  /** False with `--no-referrers`. @default true */
  referrers?: boolean;
  referrerType?: string[];
}

/** `polyarch mirror SRC DST`: one image or index from any store to any other. */
export async function mirrorCommand(
  sourceText: string,
  targetText: string,
  options: MirrorOptions,
  io: Io,
): Promise<MirrorReport> {
  const source = parseReference(sourceText);
  const target = parseWrittenReference(targetText);
  const platforms = options.platforms === undefined ? undefined : parsePlatformList(options.platforms);
  const concurrency = parseConcurrency(options.concurrency);
  const artifactTypes = options.referrerType ?? [];
  if (options.referrers === false && artifactTypes.length > 0) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      "--referrer-type filters referrers, but --no-referrers leaves them all behind",
      {
        hint: "give one of the two",
      },
    );
  }
  const { client } = await createClient(
    options,
    io,
    target.kind === "registry" ? target.registry : undefined,
  );
  const progress = io.stderr.isTTY ? new ProgressLine(io) : undefined;
  try {
    return await mirror(
      {
        source,
        target,
        ...(platforms && { platforms }),
        dryRun: options.dryRun ?? false,
        ...(concurrency !== undefined && { concurrency }),
        referrers: options.referrers !== false,
        ...(artifactTypes.length > 0 && { artifactTypes }),
      },
      {
        openStore: (reference) => openStore(reference, client),
        ...(progress && { onProgress: (event: CopyProgress) => progress.update(event) }),
      },
    );
  } finally {
    progress?.done();
    await client.close();
  }
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--concurrency ${value} is not a number from 1 to 64`, {
      hint: "e.g. --concurrency 8",
    });
  }
  return n;
}

/** The human report (stderr): what happened, whether the index was rebuilt, what moved. */
export function formatMirrorReport(report: MirrorReport): string {
  const verb = report.dryRun
    ? { created: "would create", updated: "would update", unchanged: "up to date" }[report.action]
    : report.action;
  const lines = [`${verb}: ${report.target} (${report.digest})`];
  if (report.platforms?.length) lines.push(`  platforms: ${report.platforms.join(", ")}`);
  if (report.rebuilt) {
    lines.push(
      `  index rebuilt without ${report.rebuilt.dropped.join(", ")}: its digest changed from ${report.sourceDigest}`,
    );
  }
  if (!report.dryRun && report.action !== "unchanged") lines.push(`  ${formatStats(report.copied)}`);
  const referrers = report.referrers;
  if (referrers && (referrers.found.referrers > 0 || referrers.found.tags > 0)) {
    lines.push(
      `  referrers: ${referrers.copied.referrers} of ${referrers.found.referrers} copied` +
        `${referrers.target ? ` (target lists them by ${referrers.target === "api" ? "its referrers API" : "fallback tags"})` : ""}` +
        `, ${referrers.copied.tags} of ${referrers.found.tags} cosign tags`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function formatStats(stats: CopyStats): string {
  const { copied, mounted, exists } = stats.blobs;
  return (
    `${copied} blob${copied === 1 ? "" : "s"} copied (${formatSize(stats.bytes)}), ${mounted} mounted, ` +
    `${exists} already there; ${stats.manifests} manifest${stats.manifests === 1 ? "" : "s"} written`
  );
}

/** The report as `--json` prints it. */
export function mirrorReportJson(report: MirrorReport): string {
  return `${JSON.stringify({ ...report, reference: `${report.repository}@${report.digest}` }, null, 2)}\n`;
}

/** One progress line on a TTY, redrawn at most every 100 ms: blobs done and bytes streamed. */
class ProgressLine {
  readonly #io: Io;
  #blobs = 0;
  #done = 0;
  #total = 0;
  readonly #bytes = new Map<string, number>();
  #last = 0;
  #drawn = false;

  constructor(io: Io) {
    this.#io = io;
  }

  update(event: CopyProgress): void {
    if (event.kind === "plan") {
      this.#blobs = event.blobs;
      this.#total = event.bytes;
    } else if (event.kind === "bytes") {
      this.#bytes.set(event.digest, event.transferred);
    } else {
      this.#done += 1;
      this.#bytes.set(event.digest, event.size);
    }
    const now = Date.now();
    if (event.kind === "bytes" && now - this.#last < 100) return;
    this.#last = now;
    const moved = [...this.#bytes.values()].reduce((sum, n) => sum + n, 0);
    this.#io.stderr.write(
      `\r\x1b[Kblobs ${this.#done}/${this.#blobs}  ${formatSize(moved)} of ${formatSize(this.#total)}`,
    );
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#io.stderr.write("\r\x1b[K");
  }
}
