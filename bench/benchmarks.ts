import { buildCache } from "./build-cache.ts";
import { buildPushPaths } from "./build-push-paths.ts";
import { buildVsBuildah } from "./build-vs-buildah.ts";
import { executorBuildah } from "./executor-buildah.ts";
import { executorIsolation } from "./executor-isolation.ts";
import { executorStart } from "./executor-start.ts";
import { inspectVsSkopeo } from "./inspect-vs-skopeo.ts";
import type { Benchmark } from "./lib/types.ts";
import { mergeLatency } from "./merge-latency.ts";
import { mergeRequests } from "./merge-requests.ts";
import { mergeVsBuildah } from "./merge-vs-buildah.ts";
import { mirrorMemory } from "./mirror-memory.ts";
import { mirrorVsSkopeo } from "./mirror-vs-skopeo.ts";
import { noopRequests } from "./noop-requests.ts";

/**
 * Every benchmark `pnpm bench` runs, in this order. To add one, write `bench/<name>.ts` exporting a
 * `Benchmark` (see bench/README.md) and append it here.
 */
export const benchmarks: Benchmark[] = [
  mergeRequests,
  mergeVsBuildah,
  mergeLatency,
  inspectVsSkopeo,
  mirrorVsSkopeo,
  mirrorMemory,
  noopRequests,
  buildVsBuildah,
  buildPushPaths,
  buildCache,
  executorStart,
  executorBuildah,
  executorIsolation,
];
