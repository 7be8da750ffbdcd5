import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchmarks } from "./benchmarks.ts";
import { describeEnvironment } from "./lib/environment.ts";
import { renderTable } from "./lib/format.ts";
import { msSince } from "./lib/timing.ts";
import type { Benchmark, BenchOutcome } from "./lib/types.ts";

// `pnpm bench [NAME…]` runs every benchmark in bench/benchmarks.ts, or only those named; `--list` names them.
// Figures go to stdout as one table and to bench/out/results.json; progress goes to stderr.

const DEFAULT_TIMEOUT_MS = 180_000;
const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(benchDir, "out", "results.json");

interface Result {
  name: string;
  title: string;
  durationMs: number;
  outcome?: BenchOutcome;
  error?: string;
}

async function runAll(argv: string[]): Promise<number> {
  if (argv.includes("--list")) {
    for (const bench of benchmarks) process.stdout.write(`${bench.name.padEnd(20)} ${bench.title}\n`);
    return 0;
  }
  const unknown = argv.filter((name) => !benchmarks.some((bench) => bench.name === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark ${unknown.join(", ")}; choose from ${benchmarks.map((b) => b.name).join(", ")}\n`,
    );
    return 2;
  }
  const selected = argv.length === 0 ? benchmarks : benchmarks.filter((bench) => argv.includes(bench.name));
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const results: Result[] = [];
  for (const bench of selected) results.push(await runOne(bench));

  process.stdout.write(`\n${summaryTable(results)}`);
  await mkdir(dirname(resultsFile), { recursive: true });
  const environment = await describeEnvironment(join(benchDir, ".."));
  const json = { startedAt, loadAtStart, environment, benchmarks: results.map(toJson) };
  await writeFile(resultsFile, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(
    `\nLoad average (1 min): ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end, on ${cpus().length} CPUs.` +
      `\nResults: ${resultsFile}\n`,
  );
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
  log(bench.title);
  const start = process.hrtime.bigint();
  try {
    const outcome = await Promise.race([bench.run({ log, signal: controller.signal }), overrun]);
    log(`done in ${(msSince(start) / 1000).toFixed(1)} s`);
    return { name: bench.name, title: bench.title, durationMs: msSince(start), outcome };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    log(`FAILED: ${message}`);
    return { name: bench.name, title: bench.title, durationMs: msSince(start), error: message };
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
    ...(result.outcome && { rows: result.outcome.rows, data: result.outcome.data }),
    ...(result.error !== undefined && { error: result.error }),
  };
}

// Exit explicitly: a benchmark that overran may still hold sockets or timers, and the run must end by itself.
// Temp dirs are removed and registries stopped by the harness's exit hooks.
process.exit(await runAll(process.argv.slice(2)));
