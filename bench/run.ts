import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { benchmarks } from "./benchmarks.ts";
import { compareRatios } from "./lib/compare.ts";
import { describeEnvironment } from "./lib/environment.ts";
import { renderTable } from "./lib/format.ts";
import { msSince } from "./lib/timing.ts";
import type { Benchmark, BenchOutcome } from "./lib/types.ts";

// `pnpm bench [NAME…] [--quiet-check] [--compare OLD.json]` runs every benchmark in bench/benchmarks.ts, or
// only those named; `--list` names them. Figures go to stdout as one table and to bench/out/results.json;
// progress goes to stderr. `--quiet-check` refuses to run, or to report, while the load average is above
// one per core; `--compare` prints how each ratio moved against an earlier results.json.

const DEFAULT_TIMEOUT_MS = 180_000;
const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(benchDir, "out", "results.json");

interface Result {
  name: string;
  title: string;
  durationMs: number;
  /** 1-minute load average when the benchmark started and when it ended. */
  load: { before: number; after: number };
  outcome?: BenchOutcome;
  error?: string;
}

async function runAll(argv: string[]): Promise<number> {
  if (argv.includes("--list")) {
    for (const bench of benchmarks) process.stdout.write(`${bench.name.padEnd(20)} ${bench.title}\n`);
    return 0;
  }
  const quietCheck = argv.includes("--quiet-check");
  const compareAt = argv.indexOf("--compare");
  const compareFile = compareAt >= 0 ? argv[compareAt + 1] : undefined;
  if (compareAt >= 0 && compareFile === undefined) {
    process.stderr.write("--compare needs the results.json of an earlier run\n");
    return 2;
  }
  const names = argv.filter((arg, i) => !arg.startsWith("--") && (compareAt < 0 || i !== compareAt + 1));
  const unknown = names.filter((name) => !benchmarks.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark ${unknown.join(", ")}; choose from ${benchmarks.map((b) => b.name).join(", ")}\n`,
    );
    return 2;
  }
  const previous = compareFile === undefined ? undefined : await readFile(compareFile, "utf8");
  const selected = names.length === 0 ? benchmarks : benchmarks.filter((bench) => names.includes(bench.name));
  const startedAt = new Date().toISOString();
  const loadAtStart = oneMinuteLoad();
  if (quietCheck && tooLoaded(loadAtStart)) {
    process.stderr.write(
      `--quiet-check: load average ${loadAtStart.toFixed(2)} is above 1 per core (${cpus().length} CPUs); not running. Wait for a quiet machine.\n`,
    );
    return 4;
  }
  const results: Result[] = [];
  for (const bench of selected) {
    // Some benchmarks load the machine on purpose (mirror's loaded run, the 512 MiB copy): with
    // --quiet-check the next one waits for the load average to settle, so it measures on a quiet machine.
    if (quietCheck) await settle();
    results.push(await runOne(bench));
  }
  const loadAtEnd = oneMinuteLoad();
  // A benchmark's own work raises the load it ends with; what it started on is what other work was doing.
  const busiest = Math.max(loadAtStart, ...results.map((result) => result.load.before));
  const refused = quietCheck && tooLoaded(busiest);

  await mkdir(dirname(resultsFile), { recursive: true });
  const environment = await describeEnvironment(join(benchDir, ".."));
  const json = {
    startedAt,
    loadAtStart,
    loadAtEnd,
    ...(refused && { refused: `load average reached ${busiest.toFixed(2)} on ${cpus().length} CPUs` }),
    environment,
    benchmarks: results.map(toJson),
  };
  await writeFile(resultsFile, `${JSON.stringify(json, null, 2)}\n`);
  const load = `Load average (1 min): ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end, on ${cpus().length} CPUs.`;
  if (refused) {
    process.stderr.write(
      `\n--quiet-check: the load average reached ${busiest.toFixed(2)} (above 1 per core) during the run; figures not reported.\n${load}\nSamples kept in ${resultsFile}.\n`,
    );
    return 4;
  }
  process.stdout.write(`\n${summaryTable(results)}`);
  if (previous !== undefined) {
    process.stdout.write(`\nAgainst ${compareFile}:\n${compareRatios(JSON.parse(previous), json)}`);
  }
  process.stdout.write(`\n${load}\nResults: ${resultsFile}\n`);
  return results.some((result) => result.error !== undefined) ? 1 : 0;
}

async function runOne(bench: Benchmark): Promise<Result> {
  const log = (message: string) => process.stderr.write(`[${bench.name}] ${message}\n`);
  const controller = new AbortController();
  const timeoutMs = bench.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`did not finish within ${timeoutMs / 1000} s`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const before = oneMinuteLoad();
  log(`${bench.title} (load average ${before.toFixed(2)})`);
  const start = process.hrtime.bigint();
  const load = () => ({ before, after: oneMinuteLoad() });
  try {
    const outcome = await Promise.race([bench.run({ log, signal: controller.signal }), overrun]);
    const result = {
      name: bench.name,
      title: bench.title,
      durationMs: msSince(start),
      load: load(),
      outcome,
    };
    log(`done in ${(result.durationMs / 1000).toFixed(1)} s (load average ${result.load.after.toFixed(2)})`);
    return result;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    log(`FAILED: ${message}`);
    return { name: bench.name, title: bench.title, durationMs: msSince(start), load: load(), error: message };
  } finally {
    clearTimeout(timer);
  }
}

function summaryTable(results: Result[]): string {
  const rows: string[][] = [];
  for (const result of results) {
    if (result.error !== undefined) {
      rows.push([result.name, "FAILED", "", "", "", result.error]);
      continue;
    }
    result.outcome?.rows.forEach((row, i) => {
      rows.push([i === 0 ? result.name : "", row.case, row.polyarch, row.reference, row.ratio, row.note]);
    });
  }
  return renderTable(["Benchmark", "Case", "polyarch", "Peer / bound", "Ratio", "Notes"], rows);
}

function toJson(result: Result): Record<string, unknown> {
  return {
    name: result.name,
    title: result.title,
    durationMs: Math.round(result.durationMs),
    load: result.load,
    ...(result.outcome && { rows: result.outcome.rows, data: result.outcome.data }),
    ...(result.error !== undefined && { error: result.error }),
  };
}

function oneMinuteLoad(): number {
  return loadavg()[0] ?? 0;
}

/** Waits (at most SETTLE_MS) for the one-minute load average to fall to 1 per core. */
async function settle(): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (tooLoaded(oneMinuteLoad()) && Date.now() < deadline) await sleep(2000);
}

const SETTLE_MS = 120_000;

/** Above one runnable process per core, other work skews the figures more than paired rounds correct. */
function tooLoaded(load: number): boolean {
  return load > cpus().length;
}

// Exit explicitly: a benchmark that overran may still hold sockets or timers, and the run must end by itself.
// Temp dirs are removed and registries stopped by the harness's exit hooks.
process.exit(await runAll(process.argv.slice(2)));
