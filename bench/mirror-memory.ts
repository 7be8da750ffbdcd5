import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  fetchManifest,
  imageFrom,
  mediaTypes,
  pushImage,
  type Registry,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { formatBytes, formatMs, formatRatio } from "./lib/format.ts";
import { pushGeneratedBlob } from "./lib/generated-blob.ts";
import { sampledPeakArrayBuffers, sampledPeakRss } from "./lib/memory.ts";
import { mirrorInProcess, POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, type ProcessRun, runProcess } from "./lib/process.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { median, type Summary, summarize, timed } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const BIG = { repo: "bench/big", tag: "512m" };
const TINY = { repo: "bench/tiny", tag: "1" };
const MIB = 1024 * 1024;
const BLOB_SIZE = 512 * MIB;
/** What "constant memory whatever the size" is held to. */
const BOUND = 150 * MIB;
/** The goals for peak RSS: a tiny image, and the 512 MiB layer. */
const GOAL_TINY = 60 * MIB;
const GOAL_BIG = 80 * MIB;
/** Timed rounds per contender, after one warm-up round. */
const ROUNDS = 5;
/**
 * What the launcher's shebang sets: a young generation of 1 MiB makes V8 collect dead chunk Buffers
 * almost at once. The diagnostic row runs the bin without it.
 */
const SMALL_YOUNG_GENERATION = "--max-semi-space-size=1";
/** The launcher's other flag, kept in the diagnostic run so that it isolates the semi-space's effect. */
const TIERING_BUDGET = "--wasm-tiering-budget=2000000000";

interface Copied {
  ms: number;
  peakRssBytes: number | undefined;
  /** What the target registry holds under the tag afterwards. */
  stored: string;
}

/**
 * Peak memory while mirroring an image whose one layer is a 512 MiB blob, registry to registry: the
 * `polyarch mirror` process's peak RSS (GNU time) against `skopeo copy`'s, each next to the same tool
 * copying a tiny image (its fixed cost), then `polyarch mirror` once more with a 1 MiB young generation
 * (what is left when dead chunk Buffers are collected at once), and the Buffer memory (and RSS) this process
 * gains while `mirror()` runs in it. The blob is generated and uploaded as a stream, never held whole; each copy goes
 * into a fresh target registry that is stopped (its storage deleted) right after, so at most two copies
 * of the blob are on disk at once.
 */
export const mirrorMemory: Benchmark = {
  name: "mirror-memory",
  title: "mirror: peak memory copying one 512 MiB blob, polyarch vs skopeo copy",
  timeoutMs: 240_000,
  async run(context) {
    const upstream = await startRegistry();
    const sandbox = await createSandbox();
    const live = new Set<Registry>();
    try {
      context.log("generating and uploading a 512 MiB layer as a stream");
      const { ms: uploadMs, value: layer } = await timed(() =>
        pushGeneratedBlob(upstream.url, BIG.repo, BLOB_SIZE, "mirror-memory"),
      );
      // The layer is in the registry already: pushImage HEADs it, finds it and uploads only the config.
      const big = imageFrom({
        platform: { os: "linux", architecture: "amd64" },
        layers: [
          {
            blob: {
              mediaType: mediaTypes.ociLayer,
              digest: layer.digest,
              size: layer.size,
              bytes: Buffer.alloc(0),
            },
            diffId: layer.diffId,
          },
        ],
      });
      await pushImage(upstream, BIG.repo, BIG.tag, big);
      const tiny = await syntheticImage({ seed: "mirror-memory-tiny" });
      await pushImage(upstream, TINY.repo, TINY.tag, tiny);
      context.log(`uploaded ${formatBytes(layer.size)} in ${formatMs(uploadMs)}`);
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };
      const expected = new Map([
        [BIG.repo, big.manifest.digest],
        [TINY.repo, tiny.manifest.digest],
      ]);
      const mismatches: string[] = [];

      /** Runs one copy into a fresh registry, checks what it stored, and removes it again. */
      const intoFreshTarget = async (
        what: string,
        image: { repo: string; tag: string },
        copy: (source: string, target: string) => Promise<{ ms: number; peakRssBytes: number | undefined }>,
      ): Promise<Copied> => {
        context.signal.throwIfAborted();
        const target = await startRegistry();
        live.add(target);
        try {
          const run = await copy(
            `${upstream.host}/${image.repo}:${image.tag}`,
            `${target.host}/${image.repo}`,
          );
          const stored = (await fetchManifest(target, image.repo, image.tag)).digest ?? "missing";
          if (stored !== expected.get(image.repo)) mismatches.push(`${what} stored ${stored}`);
          const rss = run.peakRssBytes === undefined ? "" : `, peak RSS ${formatBytes(run.peakRssBytes)}`;
          context.log(`${what}: ${formatMs(run.ms)}${rss}`);
          return { ms: run.ms, peakRssBytes: run.peakRssBytes, stored };
        } finally {
          live.delete(target);
          await target.stop();
        }
      };
      // The installed launcher (its shebang sets the V8 flags), or `node TIERING_BUDGET bin`: the default semi-space.
      const polyarch =
        (launcher: "shebang" | "default-semi-space" = "shebang") =>
        (source: string, target: string): Promise<ProcessRun> =>
          launcher === "shebang"
            ? runProcess(POLYARCH_BIN, ["mirror", source, target], options)
            : runProcess(process.execPath, [TIERING_BUDGET, POLYARCH_BIN, "mirror", source, target], options);
      const skopeo = async (source: string, target: string): Promise<ProcessRun> => {
        const digestFile = join(sandbox.dir, "skopeo.digest");
        const run = await runProcess(
          "skopeo",
          [
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--digestfile",
            digestFile,
            `docker://${source}`,
            `docker://${target}:${source.slice(source.lastIndexOf(":") + 1)}`,
          ],
          options,
        );
        const digest = (await readFile(digestFile, "utf8")).trim();
        if (![...expected.values()].includes(digest)) mismatches.push(`skopeo reported ${digest}`);
        return run;
      };

      // Every contender once per round, the order alternating; the first round is a warm-up.
      type Contender = "cliTiny" | "skopeoTiny" | "cliBig" | "skopeoBig" | "cliDefaults" | "library";
      const runs: Record<Contender, Copied[]> = {
        cliTiny: [],
        skopeoTiny: [],
        cliBig: [],
        skopeoBig: [],
        cliDefaults: [],
        library: [],
      };
      const buffers: number[] = [];
      const rssGrowth: number[] = [];
      type Copy = (
        source: string,
        target: string,
      ) => Promise<{ ms: number; peakRssBytes: number | undefined }>;
      const inProcess: Copy = async (source, target) => {
        const rss = await sampledPeakRss(() =>
          sampledPeakArrayBuffers(() => timed(() => mirrorInProcess(source, target))),
        );
        buffers.push(rss.value.peakBytes - rss.value.baselineBytes);
        rssGrowth.push(rss.peakRssBytes - rss.baselineRssBytes);
        return { ms: rss.value.value.ms, peakRssBytes: undefined };
      };
      const contenders: Array<[Contender, string, { repo: string; tag: string }, Copy]> = [
        ["cliTiny", "polyarch mirror, tiny image", TINY, polyarch()],
        ["skopeoTiny", "skopeo copy, tiny image", TINY, skopeo],
        ["cliBig", "polyarch mirror, 512 MiB", BIG, polyarch()],
        ["skopeoBig", "skopeo copy, 512 MiB", BIG, skopeo],
        [
          "cliDefaults",
          `polyarch mirror, 512 MiB, without ${SMALL_YOUNG_GENERATION}`,
          BIG,
          polyarch("default-semi-space"),
        ],
        ["library", "mirror() in-process, 512 MiB", BIG, inProcess],
      ];
      for (let round = 0; round <= ROUNDS; round++) {
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const [key, what, image, copy] of order) {
          const copied = await intoFreshTarget(`${what}${round === 0 ? " (warm-up)" : ""}`, image, copy);
          if (round > 0) runs[key].push(copied);
        }
        if (round === 0) {
          buffers.length = 0;
          rssGrowth.length = 0;
        }
      }
      const rssOf = (key: Contender) => {
        const values = runs[key].flatMap((run) => (run.peakRssBytes === undefined ? [] : [run.peakRssBytes]));
        return values.length > 0 ? summarize(values) : undefined;
      };
      const msOf = (key: Contender) => summarize(runs[key].map((run) => run.ms));
      const [cliTiny, skopeoTiny, cliBig, skopeoBig, cliDefaults] = (
        ["cliTiny", "skopeoTiny", "cliBig", "skopeoBig", "cliDefaults"] as const
      ).map(rssOf);
      const buffer = summarize(buffers);

      const mib = (summary: Summary | undefined) =>
        summary === undefined ? "n/a" : formatBytes(summary.median);
      const range = (summary: Summary | undefined) =>
        summary === undefined ? "n/a" : `${formatBytes(summary.min)}–${formatBytes(summary.max)}`;
      const ratio = (a: Summary | undefined, b: Summary | undefined, label: string) =>
        a === undefined || b === undefined ? "n/a" : `${formatRatio(a.median, b.median)} ${label}`;
      const goal = (summary: Summary | undefined, limit: number) =>
        summary === undefined
          ? "not measured"
          : `goal < ${formatBytes(limit)}: ${summary.median < limit ? "met" : "NOT MET"}`;
      const above = (a: Summary | undefined, b: Summary | undefined) =>
        a === undefined || b === undefined
          ? "n/a"
          : a.median >= b.median
            ? `+${formatBytes(a.median - b.median)}`
            : `−${formatBytes(b.median - a.median)}`;
      const digests =
        mismatches.length === 0
          ? "every copy kept the source digest"
          : `DIGESTS DIFFER: ${mismatches.join("; ")}`;
      return {
        rows: [
          {
            case: "peak RSS, 512 MiB layer: polyarch mirror vs skopeo copy",
            polyarch: mib(cliBig),
            reference: `skopeo ${mib(skopeoBig)}`,
            ratio: ratio(cliBig, skopeoBig, "polyarch/skopeo"),
            note: `median of ${ROUNDS} (ranges ${range(cliBig)} vs ${range(skopeoBig)}); ${goal(cliBig, GOAL_BIG)}; wall ${formatMs(msOf("cliBig").median)} vs ${formatMs(msOf("skopeoBig").median)}; ${formatBytes(layer.size)} blob (gzip level 0 of random bytes); ${digests}`,
          },
          {
            case: "peak RSS, tiny image (fixed cost of each process)",
            polyarch: mib(cliTiny),
            reference: `skopeo ${mib(skopeoTiny)}`,
            ratio: ratio(cliTiny, skopeoTiny, "polyarch/skopeo"),
            note: `median of ${ROUNDS} (ranges ${range(cliTiny)} vs ${range(skopeoTiny)}); ${goal(cliTiny, GOAL_TINY)}; 512 MiB minus tiny: polyarch ${above(cliBig, cliTiny)}, skopeo ${above(skopeoBig, skopeoTiny)}`,
          },
          {
            case: `polyarch mirror 512 MiB without the launcher's ${SMALL_YOUNG_GENERATION} (diagnostic)`,
            polyarch: mib(cliDefaults),
            reference: `launcher ${mib(cliBig)}`,
            ratio: ratio(cliBig, cliDefaults, "launcher/default"),
            note: `median of ${ROUNDS}; ${goal(cliDefaults, GOAL_BIG)}; the difference is dead chunk Buffers waiting for a GC; wall ${formatMs(msOf("cliDefaults").median)} vs the launcher's ${formatMs(msOf("cliBig").median)}`,
          },
          {
            case: "mirror() in-process, 512 MiB: peak Buffer memory (diagnostic)",
            polyarch: formatBytes(buffer.median),
            reference: `bound ${formatBytes(BOUND)}`,
            ratio: `${formatRatio(buffer.median, BOUND)} of bound`,
            note: `median of ${ROUNDS}; Buffers/ArrayBuffers above baseline, dead ones awaiting GC included (sampled every 5 ms); this process's RSS grew ${formatBytes(median(rssGrowth))} (a warm heap absorbs it); wall ${formatMs(msOf("library").median)}`,
          },
        ],
        data: {
          source: `${BIG.repo}:${BIG.tag}`,
          layer,
          boundBytes: BOUND,
          goalsBytes: { tiny: GOAL_TINY, big: GOAL_BIG },
          rounds: ROUNDS,
          uploadMs,
          sourceDigest: big.manifest.digest,
          runs,
          peakRssBytes: { cliTiny, skopeoTiny, cliBig, skopeoBig, withoutLauncherFlags: cliDefaults },
          polyarchLibrary: { bufferGrowthBytes: buffers, rssGrowthBytes: rssGrowth, ms: msOf("library") },
          mismatches,
        },
      };
    } finally {
      for (const target of live) await target.stop();
      await sandbox.remove();
      await upstream.stop();
    }
  },
};
