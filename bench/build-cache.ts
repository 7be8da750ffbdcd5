import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { busyboxImage, pushImage, startRegistry, vfsStorage } from "@polyarch/test-harness";
import { formatMs, formatRatio } from "./lib/format.ts";
import { POLYARCH_BIN } from "./lib/polyarch.ts";
import { runProcess } from "./lib/process.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

/** Timed rounds, after one untimed warm-up round. */
const ROUNDS = 3;

/**
 * What `polyarch build --cache-repo` (Buildah: --layers --cache-from/--cache-to) saves a job: each round
 * builds an unchanged Dockerfile twice, each time in a fresh vfs storage as a new CI job on another runner
 * would, with a cache repository of its own for the round: the first build finds the cache empty, runs
 * the RUN step (a busy loop, then an 8 MiB layer) and fills it; the second takes the RUN layer from it.
 */
export const buildCache: Benchmark = {
  name: "build-cache",
  title: "build: polyarch build --cache-repo, an unchanged Dockerfile's second build against its first",
  timeoutMs: 600_000,
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      await pushImage(registry, "bench/base", "1", await busyboxImage({ arch: "amd64", applets: ["sh"] }));
      const buildContext = join(sandbox.dir, "context");
      await mkdir(buildContext);
      await writeFile(
        join(buildContext, "Dockerfile"),
        [
          `FROM ${registry.host}/bench/base:1`,
          'RUN i=0; while [ "$i" -lt 200000 ]; do i=$((i+1)); done; /bin/busybox dd if=/dev/urandom of=/payload bs=1M count=8 2>/dev/null',
          "",
        ].join("\n"),
      );
      let job = 0;
      /** One build as a fresh job: its own storage and pipeline id. */
      const freshBuild = async (cacheRepo: string) => {
        job += 1;
        const dir = join(sandbox.dir, `job-${job}`);
        await mkdir(dir);
        const storage = await vfsStorage(dir);
        return runProcess(
          POLYARCH_BIN,
          [
            ...["build", "--builder", "buildah", "--context", buildContext, "--cache-repo", cacheRepo],
            ...["--image", `${registry.host}/bench/app`],
          ],
          {
            env: { ...sandbox.env, ...storage, CI_COMMIT_SHORT_SHA: "bench", CI_PIPELINE_ID: String(job) },
            cwd: sandbox.dir,
            signal: context.signal,
          },
        );
      };
      const samples = { first: [] as number[], second: [] as number[] };
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const cacheRepo = `${registry.host}/bench/cache-r${round}`;
        const first = await freshBuild(cacheRepo);
        const second = await freshBuild(cacheRepo);
        if (round > 0) {
          samples.first.push(first.ms);
          samples.second.push(second.ms);
        }
        context.log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
      }
      const first = summarize(samples.first);
      const second = summarize(samples.second);
      return {
        rows: [
          {
            case: "unchanged Dockerfile, fresh storage each build, one RUN step (busy loop + 8 MiB layer)",
            polyarch: `second build ${formatMs(second.median)}`,
            reference: `first build ${formatMs(first.median)}`,
            ratio: `${formatRatio(second.median, first.median)} second/first`,
            note: `median of ${ROUNDS}; Buildah through polyarch build --cache-repo (a cache repository per round)`,
          },
        ],
        data: { rounds: ROUNDS, ms: { first, second }, samples },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};
