import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  fetchManifest,
  indexOf,
  pushIndex,
  type Registry,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { PLATFORMS } from "./lib/fixtures.ts";
import { formatBytes, formatMs, formatRatio } from "./lib/format.ts";
import { mirrorInProcess, POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize, timed } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const REPO = "bench/mirror-source";
const TAG = "multi";
const MIB = 1024 * 1024;
/** Per platform: four layers of 8 MiB of incompressible bytes (tar+gzip, so a little over 8 MiB each). */
const LAYERS = [8 * MIB, 8 * MIB, 8 * MIB, 8 * MIB];
const PLATFORM_COUNT = 3;
/** Timed rounds per contender, after one untimed warm-up round. */
const ROUNDS = 5;

type Who = "cli" | "library" | "skopeo";

/**
 * Wall time of mirroring a three-platform index (4 × 8 MiB layers per platform, 12 distinct layers) from
 * one registry to another: `polyarch mirror` as a process, `mirror()` in this process, and
 * `skopeo copy --all`. Every copy goes into a fresh, empty target registry (started before the clock
 * starts, stopped after), so nothing is skipped or mounted: skopeo's blob-info cache, which root keeps in
 * /var/lib/containers/cache whatever HOME says, would otherwise mount blobs from an earlier round's
 * repository instead of uploading them. Rounds alternate the order.
 */
export const mirrorVsSkopeo: Benchmark = {
  name: "mirror-vs-skopeo",
  title: "mirror: 3-platform image (4×8 MiB layers each), polyarch vs skopeo copy --all",
  timeoutMs: 240_000,
  async run(context) {
    const upstream = await startRegistry();
    const sandbox = await createSandbox();
    const targets: Registry[] = [];
    try {
      context.log("generating and pushing the source index");
      const images = [];
      for (const platform of PLATFORMS.slice(0, PLATFORM_COUNT)) {
        images.push(await syntheticImage({ platform, layers: LAYERS, seed: "mirror-vs-skopeo" }));
      }
      const index = indexOf(images);
      await pushIndex(upstream, REPO, TAG, index);
      const totalBytes =
        index.manifest.size +
        images.reduce(
          (sum, image) =>
            sum +
            image.manifest.size +
            image.config.size +
            image.layers.reduce((inner, layer) => inner + layer.size, 0),
          0,
        );
      const source = `${upstream.host}/${REPO}:${TAG}`;
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };

      const copy = async (who: Who, target: Registry, repo: string) => {
        const destination = `${target.host}/${repo}`;
        if (who === "cli") {
          const run = await runProcess(POLYARCH_BIN, ["mirror", source, destination], options);
          return {
            ms: run.ms,
            peakRssBytes: run.peakRssBytes,
            digest: run.stdout.trim().split("@")[1] ?? "",
          };
        }
        if (who === "library") {
          const { ms, value } = await timed(() => mirrorInProcess(source, destination));
          return { ms, peakRssBytes: undefined, digest: value.digest };
        }
        const digestFile = join(sandbox.dir, `${repo.replaceAll("/", "-")}.digest`);
        const run = await runProcess(
          "skopeo",
          [
            "copy",
            "--all",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--digestfile",
            digestFile,
            `docker://${source}`,
            `docker://${destination}:${TAG}`,
          ],
          options,
        );
        return {
          ms: run.ms,
          peakRssBytes: run.peakRssBytes,
          digest: (await readFile(digestFile, "utf8")).trim(),
        };
      };

      const samples: Record<Who, number[]> = { cli: [], library: [], skopeo: [] };
      const rss: Record<"cli" | "skopeo", number[]> = { cli: [], skopeo: [] };
      const digests: Record<Who, Set<string>> = { cli: new Set(), library: new Set(), skopeo: new Set() };
      const stored = new Set<string>();
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const order: Who[] = round % 2 === 0 ? ["cli", "library", "skopeo"] : ["skopeo", "library", "cli"];
        for (const who of order) {
          const target = await startRegistry();
          targets.push(target);
          try {
            const repo = `bench/mirror-${who}-${round}`;
            const run = await copy(who, target, repo);
            digests[who].add(run.digest);
            stored.add((await fetchManifest(target, repo, TAG)).digest ?? "missing");
            if (round > 0) samples[who].push(run.ms);
            if (who !== "library" && run.peakRssBytes !== undefined) rss[who].push(run.peakRssBytes);
          } finally {
            targets.pop();
            await target.stop();
          }
        }
        context.log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
      }

      const cli = summarize(samples.cli);
      const library = summarize(samples.library);
      const skopeo = summarize(samples.skopeo);
      const peak = (values: number[]) => (values.length > 0 ? formatBytes(Math.max(...values)) : "n/a");
      const rate = (ms: number) => `${(totalBytes / MIB / (ms / 1000)).toFixed(0)} MiB/s`;
      const spread = (s: { min: number; max: number }) => `${formatMs(s.min)}–${formatMs(s.max)}`;
      const all = new Set([...digests.cli, ...digests.library, ...digests.skopeo, ...stored]);
      const digestNote =
        all.size === 1 && all.has(index.manifest.digest)
          ? "every copy kept the source index digest"
          : `DIGESTS DIFFER: source ${index.manifest.digest}, copies ${[...all].join(", ")}`;
      return {
        rows: [
          {
            case: "polyarch mirror process vs skopeo copy --all",
            polyarch: formatMs(cli.median),
            reference: `skopeo ${formatMs(skopeo.median)}`,
            ratio: `${formatRatio(skopeo.median, cli.median)} skopeo/polyarch`,
            note: `median of ${ROUNDS}, ${formatBytes(totalBytes)} (${rate(cli.median)} vs ${rate(skopeo.median)}); ranges ${spread(cli)} vs ${spread(skopeo)}; peak RSS ${peak(rss.cli)} vs ${peak(rss.skopeo)}`,
          },
          {
            case: "mirror() in-process vs skopeo process",
            polyarch: formatMs(library.median),
            reference: `skopeo ${formatMs(skopeo.median)}`,
            ratio: `${formatRatio(skopeo.median, library.median)} skopeo/polyarch`,
            note: `range ${spread(library)}; each copy into a fresh empty registry; ${digestNote}`,
          },
        ],
        data: {
          source: `${REPO}:${TAG}`,
          platforms: PLATFORM_COUNT,
          layerSizes: LAYERS,
          totalBytes,
          rounds: ROUNDS,
          ms: { polyarchCli: cli, polyarchLibrary: library, skopeo },
          peakRssBytes: rss,
          sourceDigest: index.manifest.digest,
          digests: {
            polyarchCli: [...digests.cli],
            polyarchLibrary: [...digests.library],
            skopeo: [...digests.skopeo],
            stored: [...stored],
          },
        },
      };
    } finally {
      for (const target of targets) await target.stop();
      await sandbox.remove();
      await upstream.stop();
    }
  },
};
