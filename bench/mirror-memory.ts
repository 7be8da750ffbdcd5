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
import { timed } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const BIG = { repo: "bench/big", tag: "512m" };
const TINY = { repo: "bench/tiny", tag: "1" };
const MIB = 1024 * 1024;
const BLOB_SIZE = 512 * MIB;
/** What "constant memory whatever the size" is held to. */
const BOUND = 150 * MIB;
/**
 * What the launcher's shebang sets: a young generation of 1 MiB makes V8 collect dead chunk Buffers
 * almost at once. The diagnostic row runs the bin without it.
 */
const SMALL_YOUNG_GENERATION = "--max-semi-space-size=1";

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
      // The installed launcher (its shebang sets the V8 flags), or plain `node bin` with V8's defaults.
      const polyarch =
        (launcher: "shebang" | "v8-defaults" = "shebang") =>
        (source: string, target: string): Promise<ProcessRun> =>
          launcher === "shebang"
            ? runProcess(POLYARCH_BIN, ["mirror", source, target], options)
            : runProcess(process.execPath, [POLYARCH_BIN, "mirror", source, target], options);
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

      const cliTiny = await intoFreshTarget("polyarch mirror, tiny image", TINY, polyarch());
      const skopeoTiny = await intoFreshTarget("skopeo copy, tiny image", TINY, skopeo);
      const cliBig = await intoFreshTarget("polyarch mirror, 512 MiB", BIG, polyarch());
      const skopeoBig = await intoFreshTarget("skopeo copy, 512 MiB", BIG, skopeo);
      const cliDefaultYoung = await intoFreshTarget(
        `polyarch mirror, 512 MiB, without ${SMALL_YOUNG_GENERATION}`,
        BIG,
        polyarch("v8-defaults"),
      );
      let library:
        | { ms: number; rss: { baseline: number; peak: number }; buffers: { baseline: number; peak: number } }
        | undefined;
      await intoFreshTarget("mirror() in-process, 512 MiB", BIG, async (source, target) => {
        const rss = await sampledPeakRss(() =>
          sampledPeakArrayBuffers(() => timed(() => mirrorInProcess(source, target))),
        );
        const buffers = rss.value;
        library = {
          ms: buffers.value.ms,
          rss: { baseline: rss.baselineRssBytes, peak: rss.peakRssBytes },
          buffers: { baseline: buffers.baselineBytes, peak: buffers.peakBytes },
        };
        return { ms: buffers.value.ms, peakRssBytes: undefined };
      });
      if (library === undefined) throw new Error("mirror() in-process did not run");
      const buffers = library.buffers.peak - library.buffers.baseline;
      const growth = library.rss.peak - library.rss.baseline;

      const mib = (bytes: number | undefined) => (bytes === undefined ? "n/a" : formatBytes(bytes));
      const ratio = (a: number | undefined, b: number | undefined, label: string) =>
        a === undefined || b === undefined ? "n/a" : `${formatRatio(a, b)} ${label}`;
      const verdict = (bytes: number | undefined) =>
        bytes === undefined
          ? "not measured"
          : bytes < BOUND
            ? "UNDER the 150 MiB bound"
            : "OVER the 150 MiB bound";
      const above = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined
          ? "n/a"
          : a >= b
            ? `+${formatBytes(a - b)}`
            : `−${formatBytes(b - a)}`;
      const digests =
        mismatches.length === 0
          ? "every copy kept the source digest"
          : `DIGESTS DIFFER: ${mismatches.join("; ")}`;
      return {
        rows: [
          {
            case: "peak RSS, 512 MiB layer: polyarch mirror vs skopeo copy",
            polyarch: mib(cliBig.peakRssBytes),
            reference: `skopeo ${mib(skopeoBig.peakRssBytes)}`,
            ratio: ratio(skopeoBig.peakRssBytes, cliBig.peakRssBytes, "skopeo/polyarch"),
            note: `polyarch ${verdict(cliBig.peakRssBytes)}; wall ${formatMs(cliBig.ms)} vs ${formatMs(skopeoBig.ms)}; ${formatBytes(layer.size)} blob (gzip level 0 of random bytes); ${digests}`,
          },
          {
            case: "peak RSS, tiny image (fixed cost of each process)",
            polyarch: mib(cliTiny.peakRssBytes),
            reference: `skopeo ${mib(skopeoTiny.peakRssBytes)}`,
            ratio: ratio(skopeoTiny.peakRssBytes, cliTiny.peakRssBytes, "skopeo/polyarch"),
            note: `512 MiB minus tiny: polyarch ${above(cliBig.peakRssBytes, cliTiny.peakRssBytes)}, skopeo ${above(skopeoBig.peakRssBytes, skopeoTiny.peakRssBytes)}`,
          },
          {
            case: `polyarch mirror 512 MiB without the launcher's ${SMALL_YOUNG_GENERATION} (diagnostic)`,
            polyarch: mib(cliDefaultYoung.peakRssBytes),
            reference: `launcher ${mib(cliBig.peakRssBytes)}`,
            ratio: ratio(cliBig.peakRssBytes, cliDefaultYoung.peakRssBytes, "launcher/default"),
            note: `${verdict(cliDefaultYoung.peakRssBytes)}; the difference is dead chunk Buffers waiting for a GC; wall ${formatMs(cliDefaultYoung.ms)}`,
          },
          {
            case: "mirror() in-process, 512 MiB: peak Buffer memory",
            polyarch: formatBytes(buffers),
            reference: `bound ${formatBytes(BOUND)}`,
            ratio: `${formatRatio(buffers, BOUND)} of bound`,
            note: `Buffers/ArrayBuffers above baseline, dead ones awaiting GC included (sampled every 5 ms); this process's RSS ${formatBytes(library.rss.baseline)} → ${formatBytes(library.rss.peak)} (a warm heap absorbs it); wall ${formatMs(library.ms)}`,
          },
        ],
        data: {
          source: `${BIG.repo}:${BIG.tag}`,
          layer,
          boundBytes: BOUND,
          uploadMs,
          sourceDigest: big.manifest.digest,
          polyarchCli: { tiny: cliTiny, big: cliBig, withoutLauncherFlags: cliDefaultYoung },
          skopeo: { tiny: skopeoTiny, big: skopeoBig },
          polyarchLibrary: { ...library, bufferGrowthBytes: buffers, rssGrowthBytes: growth },
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
