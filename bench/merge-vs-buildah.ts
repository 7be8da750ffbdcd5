import { fetchManifest, type Registry, startFaultProxy, startRegistry } from "@polyarch/test-harness";
import { pushSources } from "./lib/fixtures.ts";
import { formatBytes, formatCounts, formatMs, formatRatio } from "./lib/format.ts";
import { mergeContenders } from "./lib/merge-contenders.ts";
import { POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize } from "./lib/timing.ts";
import type { BenchContext, Benchmark, Row } from "./lib/types.ts";

const REPO = "bench/merge-vs-buildah";
const MIB = 1024 * 1024;
const LAYERS = [MIB, MIB, MIB];
/** Merges of 2 and of 8 sources; the goals: at most 0.5× and 0.35× buildah's time. */
const COUNTS = [2, 8] as const;
const GOALS: Record<number, number> = { 2: 0.5, 8: 0.35 };
/** Timed rounds per contender, after one untimed warm-up round. */
const ROUNDS = 7;
/** `polyarch --help` within this factor of `node -e ''` (the goal). */
const STARTUP_GOAL = 1.3;

/**
 * Wall time of one merge of N single-platform images (3 layers of 1 MiB each, in the target repository),
 * N = 2 and 8: `polyarch merge` as a process against buildah's way as processes — `manifest create`, one
 * `manifest add docker://…` per source, `manifest push --all` — in a throwaway vfs storage; `merge()` in this
 * process as a diagnostic. Rounds alternate the order; each writes a fresh tag, so every run creates the
 * index rather than finding it done. Then `polyarch --help` against `node -e ''`, the start-up floor.
 */
export const mergeVsBuildah: Benchmark = {
  name: "merge-vs-buildah",
  title: "merge: wall time, polyarch vs buildah manifest (N=2 and N=8, 3×1 MiB layers each)",
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      const all = (await pushSources(registry, REPO, Math.max(...COUNTS), LAYERS)).map(({ tag }) => tag);
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };
      const rows: Row[] = [];
      const data: Record<string, unknown> = { repository: REPO, layers: LAYERS, rounds: ROUNDS };
      for (const n of COUNTS) {
        const measured = await measureMerges(n, all.slice(0, n), registry, sandbox.dir, options, context);
        rows.push(...measured.rows);
        data[`n${n}`] = measured.data;
      }

      const startup = { polyarch: [] as number[], node: [] as number[] };
      for (let round = 0; round <= ROUNDS; round++) {
        const order = round % 2 === 0 ? ["polyarch", "node"] : ["node", "polyarch"];
        for (const who of order) {
          const run =
            who === "polyarch"
              ? await runProcess(POLYARCH_BIN, ["--help"], options)
              : await runProcess(process.execPath, ["-e", ""], options);
          if (round > 0) startup[who as "polyarch" | "node"].push(run.ms);
        }
      }
      const polyarchStart = summarize(startup.polyarch);
      const nodeStart = summarize(startup.node);
      const startRatio = polyarchStart.median / nodeStart.median;
      rows.splice(1, 0, {
        case: "process start: polyarch --help vs node -e ''",
        polyarch: formatMs(polyarchStart.median),
        reference: `node ${formatMs(nodeStart.median)}`,
        ratio: `${formatRatio(polyarchStart.median, nodeStart.median)} polyarch/node`,
        note: `median of ${ROUNDS}; goal ≤ ${STARTUP_GOAL}×: ${startRatio <= STARTUP_GOAL ? "met" : "NOT MET"}`,
      });
      data.startupMs = { polyarchHelp: polyarchStart, node: nodeStart };
      return { rows, data };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};

/** The rounds for one N: polyarch as a process, buildah's processes, merge() in-process; then requests. */
async function measureMerges(
  n: number,
  tags: string[],
  registry: Registry,
  dir: string,
  options: ProcessOptions,
  context: BenchContext,
): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const direct = mergeContenders(REPO, registry.host, tags, dir, options);
  const samples = { cli: [] as number[], library: [] as number[], buildah: [] as number[] };
  const rss = { cli: [] as number[], buildah: [] as number[] };
  const digests = new Set<string>();
  const buildahDigests = new Set<string>();
  for (let round = 0; round <= ROUNDS; round++) {
    context.signal.throwIfAborted();
    const order = round % 2 === 0 ? ["cli", "library", "buildah"] : ["buildah", "library", "cli"];
    for (const who of order) {
      const tag = `n${n}-${who}-${round}`;
      if (who === "cli") {
        const run = await direct.polyarchCli(tag);
        digests.add(run.digest);
        if (round > 0) samples.cli.push(run.ms);
        if (run.peakRssBytes !== undefined) rss.cli.push(run.peakRssBytes);
      } else if (who === "library") {
        const run = await direct.polyarchLibrary(tag);
        digests.add(run.digest);
        if (round > 0) samples.library.push(run.ms);
      } else {
        const run = await direct.buildah(tag);
        buildahDigests.add(run.digest);
        if (round > 0) samples.buildah.push(run.ms);
        if (run.peakRssBytes !== undefined) rss.buildah.push(run.peakRssBytes);
      }
    }
    context.log(`N=${n}: round ${round}${round === 0 ? " (warm-up)" : ""} done`);
  }

  // One more run of each through the fault proxy, untimed, to count their requests.
  const proxy = await startFaultProxy(registry.url);
  let requests: { polyarch: ReturnType<typeof tallyRequests>; buildah: ReturnType<typeof tallyRequests> };
  try {
    const proxied = mergeContenders(REPO, proxy.host, tags, dir, options);
    proxy.reset();
    await proxied.polyarchCli(`n${n}-count-cli`);
    const polyarch = tallyRequests(proxy.counter.requests);
    proxy.reset();
    await proxied.buildah(`n${n}-count-buildah`);
    requests = { polyarch, buildah: tallyRequests(proxy.counter.requests) };
  } finally {
    await proxy.stop();
  }

  const cli = summarize(samples.cli);
  const library = summarize(samples.library);
  const buildah = summarize(samples.buildah);
  const peak = (values: number[]) => (values.length > 0 ? formatBytes(Math.max(...values)) : "n/a");
  const [ours, theirs] = await Promise.all([
    fetchManifest(registry, REPO, `n${n}-cli-0`),
    fetchManifest(registry, REPO, `n${n}-buildah-0`),
  ]);
  const sameIndex =
    digests.size === 1 && buildahDigests.size === 1 && [...digests][0] === [...buildahDigests][0]
      ? "byte-identical index to buildah's"
      : canonicalJson(ours.bytes) === canonicalJson(theirs.bytes)
        ? "same index as buildah's up to JSON key order"
        : "INDEX DIFFERS from buildah's";
  const spread = (s: { min: number; max: number }) => `${formatMs(s.min)}–${formatMs(s.max)}`;
  const ratio = cli.median / buildah.median;
  return {
    rows: [
      {
        case: `N=${n}: polyarch merge process vs buildah (${n + 2} processes)`,
        polyarch: formatMs(cli.median),
        reference: `buildah ${formatMs(buildah.median)}`,
        ratio: `${formatRatio(cli.median, buildah.median)} polyarch/buildah`,
        note: `median of ${ROUNDS}; goal ≤ ${GOALS[n]}×: ${ratio <= (GOALS[n] ?? 0) ? "met" : "NOT MET"}; ranges ${spread(cli)} vs ${spread(buildah)}; peak RSS ${peak(rss.cli)} vs ${peak(rss.buildah)} (largest buildah step)`,
      },
      {
        case: `N=${n}: merge() in-process vs buildah (diagnostic: no process start)`,
        polyarch: formatMs(library.median),
        reference: `buildah ${formatMs(buildah.median)}`,
        ratio: `${formatRatio(library.median, buildah.median)} polyarch/buildah`,
        note: `range ${spread(library)}; ${sameIndex}`,
      },
      {
        case: `N=${n}: requests (one more run each, through the proxy)`,
        polyarch: `${requests.polyarch.counted} requests`,
        reference: `buildah ${requests.buildah.counted}`,
        ratio: `${formatRatio(requests.buildah.counted, requests.polyarch.counted)} buildah/polyarch`,
        note: `polyarch: ${formatCounts(requests.polyarch.byKind)}; buildah: ${formatCounts(requests.buildah.byKind)} (GET /v2/ not counted: ${requests.polyarch.base} vs ${requests.buildah.base})`,
      },
    ],
    data: {
      sources: n,
      ms: { polyarchCli: cli, polyarchLibrary: library, buildah },
      peakRssBytes: rss,
      requests,
      indexDigests: { polyarch: [...digests], buildah: [...buildahDigests] },
      indexes: { polyarch: ours.bytes.toString(), buildah: theirs.bytes.toString() },
    },
  };
}

/** JSON with every object's keys sorted, to compare documents that differ only in key order. */
function canonicalJson(bytes: Uint8Array): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([key, inner]) => [key, sort(inner)]),
          )
        : value;
  return JSON.stringify(sort(JSON.parse(new TextDecoder().decode(bytes))));
}
