import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { startRegistry } from "@polyarch/test-harness";
import { jobImage, pushJobImage } from "../test/executor/support/images.ts";
import { type RunnerHost, startRunnerHost } from "../test/executor/support/runner.ts";
import { bareBwrapTimes } from "./lib/bare-bwrap.ts";
import { formatBytes, formatMs, formatRatio } from "./lib/format.ts";
import { summarize } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const ROUNDS = 7;
const COLD_ROUNDS = 3;
const DISK_JOBS = 4;
const MIB = 1024 * 1024;

/** Wall time of prepare and of a `true` step, as gitlab-runner starts them (two executor processes). */
async function jobStart(
  host: RunnerHost,
  id: number,
  image: string,
): Promise<{ prepare: number; run: number }> {
  const job = { id, image, script: ["true"] };
  const start = performance.now();
  const prepared = await host.stage("prepare", job);
  const ran = performance.now();
  const { step, finish } = await host.startStep(job, { prepared: true });
  const result = await step;
  const end = performance.now();
  await finish();
  if (prepared.exitCode !== 0 || result.exitCode !== 0)
    throw new Error(`bench job ${id} failed:\n${prepared.output}${result.all}`);
  return { prepare: ran - start, run: end - ran };
}

/** kilobytes `du` counts under `paths` together (hard links once). */
function diskKiB(paths: string[]): number {
  const out = execFileSync("du", ["-sk", "--total", ...paths], { encoding: "utf8" });
  return Number(out.trim().split("\n").at(-1)?.split("\t")[0]);
}

/**
 * Job start with polyarch-executor (the built binary, as the runner's user): prepare plus a `true`
 * step, with the image's layers already cached (warm) and with an empty cache (cold), against the
 * floor: `bwrap` started by hand on the already-unpacked tree. Then the disk N prepared jobs of one
 * image use, against the cache alone.
 */
export const executorStart: Benchmark = {
  name: "executor-start",
  title: "executor: job start (prepare + `true` step), warm and cold, vs bwrap by hand; disk for N jobs",
  timeoutMs: 600_000,
  async run(context) {
    const registry = await startRegistry();
    const hosts: RunnerHost[] = [];
    try {
      // busybox plus a 16 MiB layer: enough that unpacking shows in the cold start.
      const image = await pushJobImage(
        registry,
        "bench/executor",
        "1",
        await jobImage({ extra: [[{ path: "data.bin", content: Buffer.alloc(16 * MIB, 7) }]] }),
      );
      const host = await startRunnerHost({}, { built: true });
      hosts.push(host);
      await jobStart(host, 1, image);
      const warm: number[] = [];
      const warmPrepare: number[] = [];
      const warmRun: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        context.signal.throwIfAborted();
        const times = await jobStart(host, 10 + round, image);
        warm.push(times.prepare + times.run);
        warmPrepare.push(times.prepare);
        warmRun.push(times.run);
      }
      const cold: number[] = [];
      for (let round = 0; round < COLD_ROUNDS; round++) {
        context.signal.throwIfAborted();
        const fresh = await startRunnerHost({}, { built: true });
        hosts.push(fresh);
        const times = await jobStart(fresh, 100 + round, image);
        cold.push(times.prepare + times.run);
      }
      const floor = await bareBwrapTimes(host, ROUNDS);
      // Disk: N jobs of one image prepared at once, against the cache alone.
      const cacheOnly = diskKiB([join(host.stateDir, "layers"), join(host.stateDir, "roots")]);
      const prepared = await Promise.all(
        Array.from({ length: DISK_JOBS }, (_, index) =>
          host.stage("prepare", { id: 200 + index, image, script: [] }),
        ),
      );
      if (prepared.some((stage) => stage.exitCode !== 0)) throw new Error("bench: a prepare failed");
      const withJobs = diskKiB([
        join(host.stateDir, "layers"),
        join(host.stateDir, "roots"),
        join(host.stateDir, "jobs"),
      ]);
      for (let index = 0; index < DISK_JOBS; index++)
        await host.stage("cleanup", { id: 200 + index, image, script: [] });

      const w = summarize(warm);
      const c = summarize(cold);
      const f = summarize(floor);
      return {
        rows: [
          {
            case: `warm (layers cached), median of ${ROUNDS}`,
            polyarch: formatMs(w.median),
            reference: `bwrap by hand ${formatMs(f.median)}`,
            ratio: `${formatRatio(w.median, f.median)} polyarch/bwrap`,
            note: "prepare + run: two executor processes, as the runner starts them",
          },
          {
            case: "warm, of which the `run` stage",
            polyarch: formatMs(summarize(warmRun).median),
            reference: `bwrap by hand ${formatMs(f.median)}`,
            ratio: `${formatRatio(summarize(warmRun).median, f.median)} polyarch/bwrap`,
            note: `prepare ${formatMs(summarize(warmPrepare).median)} (registry HEAD/GET, job dir, state)`,
          },
          {
            case: `cold (empty cache), median of ${COLD_ROUNDS}`,
            polyarch: formatMs(c.median),
            reference: `warm ${formatMs(w.median)}`,
            ratio: `${formatRatio(c.median, w.median)} cold/warm`,
            note: "pull, unpack and merge 2 layers (16 MiB + busybox)",
          },
          {
            case: `disk: ${DISK_JOBS} prepared jobs of one image`,
            polyarch: formatBytes((withJobs - cacheOnly) * 1024),
            reference: `cache ${formatBytes(cacheOnly * 1024)}`,
            ratio: `${formatRatio(withJobs, cacheOnly)} total/cache`,
            note: "job directories before any write (overlay: empty upper dirs)",
          },
        ],
        data: {
          warm: w,
          warmPrepare: summarize(warmPrepare),
          warmRun: summarize(warmRun),
          cold: c,
          floor: f,
          diskKiB: { cacheOnly, withJobs, jobs: DISK_JOBS },
        },
      };
    } finally {
      for (const host of hosts) await host.remove();
      await registry.stop();
    }
  },
};
