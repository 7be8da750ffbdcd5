import { startFaultProxy, startRegistry } from "@polyarch/test-harness";
import { pushSources } from "./lib/fixtures.ts";
import { formatMs, formatRatio } from "./lib/format.ts";
import { mergeContenders } from "./lib/merge-contenders.ts";
import { mergeInProcess } from "./lib/polyarch.ts";
import type { ProcessOptions } from "./lib/process.ts";
import { tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { type Summary, summarize, timed } from "./lib/timing.ts";
import type { Benchmark, Row } from "./lib/types.ts";

const REPO = "bench/merge-latency";
const DELAY_MS = 20;
const COUNTS = [2, 4, 8];
const ROUNDS = 5;
/** Round trips that must happen one after another whatever N is: source manifest, its config, HEAD tag, PUT index. */
const SEQUENTIAL_ROUND_TRIPS = 4;
/** Where the processes are measured against buildah's through the same delay. */
const PROCESS_COUNTS = [2, 8];

/**
 * How merge time grows with N when every request costs 20 ms (the fault proxy's `delay` on every request).
 * Sources are read in parallel, so time should track the ~4 round trips on the critical path, not the
 * 2N+2 requests. Each merge uses a fresh client and writes a fresh tag, like a CI job. `merge()` in this
 * process shows the scaling (a diagnostic; "one at a time" is computed, requests × delay); then, for N = 2
 * and 8, `polyarch merge` as a process against buildah's processes through the same delay (measured).
 */
export const mergeLatency: Benchmark = {
  name: "merge-latency",
  title: `merge: latency scaling, ${DELAY_MS} ms per request, N sources in the target repository`,
  async run(context) {
    const registry = await startRegistry();
    const proxy = await startFaultProxy(registry.url);
    const sandbox = await createSandbox();
    try {
      const tags = (await pushSources(registry, REPO, Math.max(...COUNTS), [4096, 4096])).map(
        ({ tag }) => tag,
      );
      proxy.inject({ type: "delay", ms: DELAY_MS, times: Number.POSITIVE_INFINITY });
      const sourcesFor = (n: number) => tags.slice(0, n).map((tag) => `${proxy.host}/${REPO}:${tag}`);
      await mergeInProcess(`${proxy.host}/${REPO}:warm-up`, sourcesFor(COUNTS[0] ?? 2));

      const samples = new Map<number, number[]>(COUNTS.map((n) => [n, []]));
      const requests = new Map<number, number>();
      for (let round = 1; round <= ROUNDS; round++) {
        for (const n of COUNTS) {
          context.signal.throwIfAborted();
          const before = proxy.counter.requests.length;
          const { ms } = await timed(() =>
            mergeInProcess(`${proxy.host}/${REPO}:n${n}-${round}`, sourcesFor(n)),
          );
          samples.get(n)?.push(ms);
          requests.set(n, tallyRequests(proxy.counter.requests.slice(before)).counted);
          context.log(`round ${round} N=${n}: ${formatMs(ms)}`);
        }
      }

      const summaries = new Map<number, Summary>(COUNTS.map((n) => [n, summarize(samples.get(n) ?? [])]));
      const base = summaries.get(COUNTS[0] ?? 2)?.median ?? 0;
      const rows: Row[] = COUNTS.map((n) => {
        const summary = summaries.get(n) as Summary;
        const count = requests.get(n) ?? 0;
        return {
          case: `N=${n}, ${count} requests, merge() in-process (diagnostic)`,
          polyarch: formatMs(summary.median),
          reference: `computed: one at a time ${formatMs(count * DELAY_MS)}`,
          ratio: `${formatRatio(summary.median, base)} of N=${COUNTS[0]}`,
          note: `median of ${ROUNDS}, range ${formatMs(summary.min)}–${formatMs(summary.max)}; critical path ≥ ${formatMs(SEQUENTIAL_ROUND_TRIPS * DELAY_MS)}`,
        };
      });
      const last = COUNTS[COUNTS.length - 1] ?? 8;
      const top = summaries.get(last)?.median ?? 0;
      rows.push({
        case: `time(N=${last}) / time(N=${COUNTS[0]})`,
        polyarch: formatRatio(top, base),
        reference: `requests ${formatRatio(requests.get(last) ?? 0, requests.get(COUNTS[0] ?? 2) ?? 1)}`,
        ratio: formatRatio(top, base),
        note: "near 1× means sources are read in parallel",
      });

      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };
      const processes: Record<string, { polyarch: Summary; buildah: Summary }> = {};
      for (const n of PROCESS_COUNTS) {
        const contenders = mergeContenders(REPO, proxy.host, tags.slice(0, n), sandbox.dir, options);
        const times = { polyarch: [] as number[], buildah: [] as number[] };
        for (let round = 0; round <= ROUNDS; round++) {
          context.signal.throwIfAborted();
          const order =
            round % 2 === 0 ? (["polyarch", "buildah"] as const) : (["buildah", "polyarch"] as const);
          for (const who of order) {
            const tag = `p${n}-${who}-${round}`;
            const run =
              who === "polyarch" ? await contenders.polyarchCli(tag) : await contenders.buildah(tag);
            if (round > 0) times[who].push(run.ms);
          }
        }
        const polyarch = summarize(times.polyarch);
        const buildah = summarize(times.buildah);
        processes[`n${n}`] = { polyarch, buildah };
        rows.push({
          case: `N=${n}, polyarch merge process vs buildah (${n + 2} processes), both through the delay`,
          polyarch: formatMs(polyarch.median),
          reference: `measured: buildah ${formatMs(buildah.median)}`,
          ratio: `${formatRatio(polyarch.median, buildah.median)} polyarch/buildah`,
          note: `median of ${ROUNDS} after a warm-up; ranges ${formatMs(polyarch.min)}–${formatMs(polyarch.max)} vs ${formatMs(buildah.min)}–${formatMs(buildah.max)}`,
        });
        context.log(
          `N=${n} as processes: ${formatMs(polyarch.median)} vs buildah ${formatMs(buildah.median)}`,
        );
      }
      return {
        rows,
        data: {
          repository: REPO,
          delayMs: DELAY_MS,
          rounds: ROUNDS,
          results: COUNTS.map((n) => ({ n, requests: requests.get(n), ms: summaries.get(n) })),
          ratioTopToBase: base === 0 ? null : top / base,
          processes,
        },
      };
    } finally {
      await sandbox.remove();
      await proxy.stop();
      await registry.stop();
    }
  },
};
