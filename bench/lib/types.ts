/** One line of the summary table. Each benchmark formats its own figures; the raw numbers go in `data`. */
export interface Row {
  /** What was measured, e.g. "N=4, first run". */
  case: string;
  /** polyarch's figure, e.g. "6 requests" or "212 ms". */
  polyarch: string;
  /** The peer's figure or the bound it is held against, e.g. "buildah 148 ms" or "bound 6 (2N+2)". */
  reference: string;
  /** The ratio, saying which way round, e.g. "0.70× buildah/polyarch". */
  ratio: string;
  note: string;
}

export interface BenchOutcome {
  rows: Row[];
  /** Raw figures (every sample, counts, settings) for bench/out/results.json. */
  data: Record<string, unknown>;
}

export interface BenchContext {
  /** Progress on stderr; the table goes to stdout at the end. */
  log(message: string): void;
  /** Aborted when the benchmark overruns its time limit: stop between iterations. */
  signal: AbortSignal;
}

/** A benchmark module: register it in bench/benchmarks.ts. */
export interface Benchmark {
  /** Short id, used to select it: `pnpm bench merge-latency`. */
  name: string;
  title: string;
  /** Upper bound on its run; exceeding it fails this benchmark and the run moves on. @default 180_000 */
  timeoutMs?: number;
  run(context: BenchContext): Promise<BenchOutcome>;
}
