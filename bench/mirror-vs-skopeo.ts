import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
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
/** Timed rounds per contender, after one untimed warm-up round; the loaded run as many again. */
const ROUNDS = 5;
/** The goals: polyarch at most 0.8× skopeo's time, and within 1.5× of a plain curl upload. */
const GOAL_SKOPEO = 0.8;
const GOAL_FLOOR = 1.5;
/** Uploads at once for the curl floor: polyarch's default `--concurrency`. */
const FLOOR_CONCURRENCY = 4;

type Who = "cli" | "library" | "skopeo" | "curl";

/**
 * Wall time of mirroring a three-platform index (4 × 8 MiB layers per platform, 12 distinct layers) from
 * one registry to another: `polyarch mirror` as a process against `skopeo copy --all`, and against the floor
 * of what the target registry accepts: the same blobs uploaded from files by plain `curl` processes (one
 * monolithic POST per blob, 4 at a time), with no download at all. `mirror()` in this process is a
 * diagnostic. The polyarch and skopeo rounds run twice: on the machine as it is, and again with one busy
 * loop per core (a loaded CI runner). Every copy goes into a fresh, empty target registry (started before the clock
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

      // The curl floor uploads every blob of the index (layers, configs) from files, then nothing else.
      const blobs = new Map<string, Buffer>();
      for (const image of images) {
        for (const blob of [image.config, ...image.layers]) blobs.set(blob.digest, blob.bytes);
      }
      const blobFiles: Array<{ digest: string; file: string }> = [];
      for (const [digest, bytes] of blobs) {
        const file = join(sandbox.dir, digest.replace(":", "-"));
        await writeFile(file, bytes);
        blobFiles.push({ digest, file });
      }
      const curlUpload = async (target: Registry, repo: string) => {
        const queue = [...blobFiles];
        const worker = async () => {
          for (let blob = queue.shift(); blob !== undefined; blob = queue.shift()) {
            await runProcess(
              "curl",
              [
                "--silent",
                "--fail",
                "--output",
                "/dev/null",
                "--header",
                "Content-Type: application/octet-stream",
                "--data-binary",
                `@${blob.file}`,
                `${target.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`,
              ],
              options,
            );
          }
        };
        await Promise.all(Array.from({ length: FLOOR_CONCURRENCY }, worker));
      };

      const copy = async (who: Who, target: Registry, repo: string) => {
        const destination = `${target.host}/${repo}`;
        if (who === "curl") {
          const { ms } = await timed(() => curlUpload(target, repo));
          return { ms, peakRssBytes: undefined, digest: index.manifest.digest };
        }
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

      const rss: Record<"cli" | "skopeo", number[]> = { cli: [], skopeo: [] };
      const digests: Record<Who, Set<string>> = {
        cli: new Set(),
        library: new Set(),
        skopeo: new Set(),
        curl: new Set(),
      };
      const stored = new Set<string>();
      const rounds = async (label: string, contenders: Who[]) => {
        const samples = new Map<Who, number[]>(contenders.map((who) => [who, []]));
        for (let round = 0; round <= ROUNDS; round++) {
          context.signal.throwIfAborted();
          const order = round % 2 === 0 ? contenders : [...contenders].reverse();
          for (const who of order) {
            const target = await startRegistry();
            targets.push(target);
            try {
              const repo = `bench/mirror-${label}-${who}-${round}`;
              const run = await copy(who, target, repo);
              if (who !== "curl") {
                digests[who].add(run.digest);
                stored.add((await fetchManifest(target, repo, TAG)).digest ?? "missing");
              }
              if (round > 0) samples.get(who)?.push(run.ms);
              if ((who === "cli" || who === "skopeo") && run.peakRssBytes !== undefined) {
                rss[who].push(run.peakRssBytes);
              }
            } finally {
              targets.pop();
              await target.stop();
            }
          }
          context.log(`${label}: round ${round}${round === 0 ? " (warm-up)" : ""} done`);
        }
        return (who: Who) => summarize(samples.get(who) ?? []);
      };
      const quiet = await rounds("as-is", ["cli", "library", "skopeo", "curl"]);
      const hogs = busyLoops(cpus().length);
      let loaded: (who: Who) => ReturnType<typeof summarize>;
      try {
        loaded = await rounds("loaded", ["cli", "skopeo"]);
      } finally {
        for (const hog of hogs) hog.kill("SIGKILL");
      }

      const cli = quiet("cli");
      const library = quiet("library");
      const skopeo = quiet("skopeo");
      const curl = quiet("curl");
      const cliLoaded = loaded("cli");
      const skopeoLoaded = loaded("skopeo");
      const verdict = (ratio: number, goal: number) =>
        `goal ≤ ${goal}×: ${ratio <= goal ? "met" : "NOT MET"}`;
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
            ratio: `${formatRatio(cli.median, skopeo.median)} polyarch/skopeo`,
            note: `median of ${ROUNDS}; ${verdict(cli.median / skopeo.median, GOAL_SKOPEO)}; ${formatBytes(totalBytes)} (${rate(cli.median)} vs ${rate(skopeo.median)}); ranges ${spread(cli)} vs ${spread(skopeo)}; peak RSS ${peak(rss.cli)} vs ${peak(rss.skopeo)}`,
          },
          {
            case: `the same with ${cpus().length} busy loops (loaded machine)`,
            polyarch: formatMs(cliLoaded.median),
            reference: `skopeo ${formatMs(skopeoLoaded.median)}`,
            ratio: `${formatRatio(cliLoaded.median, skopeoLoaded.median)} polyarch/skopeo`,
            note: `median of ${ROUNDS}; ${verdict(cliLoaded.median / skopeoLoaded.median, GOAL_SKOPEO)}; ranges ${spread(cliLoaded)} vs ${spread(skopeoLoaded)}`,
          },
          {
            case: "polyarch mirror process vs the upload floor (curl, blobs from files)",
            polyarch: formatMs(cli.median),
            reference: `curl ${formatMs(curl.median)}`,
            ratio: `${formatRatio(cli.median, curl.median)} polyarch/curl`,
            note: `median of ${ROUNDS}; ${verdict(cli.median / curl.median, GOAL_FLOOR)}; ${blobFiles.length} blobs, ${FLOOR_CONCURRENCY} curl processes at a time, one POST ?digest= each (no download); ${rate(curl.median)}`,
          },
          {
            case: "mirror() in-process vs skopeo process (diagnostic: no process start)",
            polyarch: formatMs(library.median),
            reference: `skopeo ${formatMs(skopeo.median)}`,
            ratio: `${formatRatio(library.median, skopeo.median)} polyarch/skopeo`,
            note: `range ${spread(library)}; each copy into a fresh empty registry; ${digestNote}`,
          },
        ],
        data: {
          source: `${REPO}:${TAG}`,
          platforms: PLATFORM_COUNT,
          layerSizes: LAYERS,
          totalBytes,
          rounds: ROUNDS,
          ms: {
            polyarchCli: cli,
            polyarchLibrary: library,
            skopeo,
            curlUploadFloor: curl,
            loaded: { busyLoops: cpus().length, polyarchCli: cliLoaded, skopeo: skopeoLoaded },
          },
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

/**
 * One CPU-bound child per core, for the loaded rounds; the caller kills them. Each also ends by itself after
 * 5 minutes, or as soon as this process is gone, so none outlives a benchmark that crashed.
 */
function busyLoops(count: number): ChildProcess[] {
  const parent = process.pid;
  const loop = `const end = Date.now() + 300000; while (Date.now() < end && process.ppid === ${parent}) for (let i = 0; i < 1e6; i++);`;
  return Array.from({ length: count }, () => spawn(process.execPath, ["-e", loop], { stdio: "ignore" }));
}
