import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchManifest, startFaultProxy, startRegistry } from "@polyarch/test-harness";
import { pushSources } from "./lib/fixtures.ts";
import { formatBytes, formatCounts, formatMs, formatRatio } from "./lib/format.ts";
import { mergeInProcess, POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, type ProcessRun, runProcess } from "./lib/process.ts";
import { tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize, timed } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const REPO = "bench/merge-vs-buildah";
const MIB = 1024 * 1024;
const LAYERS = [MIB, MIB, MIB];
const SOURCES = 2;
/** Timed rounds per contender, after one untimed warm-up round. */
const ROUNDS = 9;

interface Contenders {
  polyarchCli(tag: string): Promise<ProcessRun & { digest: string }>;
  polyarchLibrary(tag: string): Promise<{ ms: number; digest: string }>;
  buildah(tag: string): Promise<ProcessRun & { digest: string }>;
}

/**
 * Wall time of one merge of two single-platform images (3 layers of 1 MiB each, in the target repository):
 * `polyarch merge` as a process, `merge()` in this process, and buildah's way — `manifest create`, one
 * `manifest add docker://…` per source, `manifest push --all` — in a throwaway vfs storage. Rounds alternate
 * the order; each writes a fresh tag, so every run creates the index rather than finding it done.
 */
export const mergeVsBuildah: Benchmark = {
  name: "merge-vs-buildah",
  title: "merge: wall time, polyarch vs buildah manifest (N=2, 3×1 MiB layers each)",
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      const tags = (await pushSources(registry, REPO, SOURCES, LAYERS)).map(({ tag }) => tag);
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };
      const direct = contenders(registry.host, tags, sandbox.dir, options);

      const samples = { cli: [] as number[], library: [] as number[], buildah: [] as number[] };
      const rss = { cli: [] as number[], buildah: [] as number[] };
      const digests = new Set<string>();
      const buildahDigests = new Set<string>();
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const order = round % 2 === 0 ? ["cli", "library", "buildah"] : ["buildah", "library", "cli"];
        for (const who of order) {
          const tag = `${who}-${round}`;
          if (who === "cli") {
            const run = await direct.polyarchCli(tag);
            digests.add(run.digest);
            if (round > 0) samples.cli.push(run.ms);
            if (run.peakRssBytes !== undefined) rss.cli.push(run.peakRssBytes);
          } else if (who === "library") {
            const run = await direct.polyarchLibrary(tag);
            digests.add(run.digest);
            if (round > 0) samples.library.push(run.ms);
          } else {
            const run = await direct.buildah(tag);
            buildahDigests.add(run.digest);
            if (round > 0) samples.buildah.push(run.ms);
            if (run.peakRssBytes !== undefined) rss.buildah.push(run.peakRssBytes);
          }
        }
        context.log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
      }

      const startup = { polyarch: [] as number[], node: [] as number[] };
      for (let round = 0; round <= ROUNDS; round++) {
        const help = await runProcess(POLYARCH_BIN, ["--help"], options);
        const bare = await runProcess(process.execPath, ["-e", ""], options);
        if (round > 0) {
          startup.polyarch.push(help.ms);
          startup.node.push(bare.ms);
        }
      }

      // One more run of each through the fault proxy, untimed, to count their requests.
      const proxy = await startFaultProxy(registry.url);
      let requests: { polyarch: ReturnType<typeof tallyRequests>; buildah: ReturnType<typeof tallyRequests> };
      try {
        const proxied = contenders(proxy.host, tags, sandbox.dir, options);
        proxy.reset();
        await proxied.polyarchCli("count-cli");
        const polyarch = tallyRequests(proxy.counter.requests);
        proxy.reset();
        await proxied.buildah("count-buildah");
        requests = { polyarch, buildah: tallyRequests(proxy.counter.requests) };
      } finally {
        await proxy.stop();
      }

      const cli = summarize(samples.cli);
      const library = summarize(samples.library);
      const buildah = summarize(samples.buildah);
      const polyarchStart = summarize(startup.polyarch);
      const nodeStart = summarize(startup.node);
      const peak = (values: number[]) => (values.length > 0 ? formatBytes(Math.max(...values)) : "n/a");
      const [ours, theirs] = await Promise.all([
        fetchManifest(registry, REPO, "cli-0"),
        fetchManifest(registry, REPO, "buildah-0"),
      ]);
      const sameIndex =
        digests.size === 1 && buildahDigests.size === 1 && [...digests][0] === [...buildahDigests][0]
          ? "byte-identical index to buildah's"
          : canonicalJson(ours.bytes) === canonicalJson(theirs.bytes)
            ? "same index as buildah's up to JSON key order"
            : "INDEX DIFFERS from buildah's";
      const spread = (s: { min: number; max: number }) => `${formatMs(s.min)}–${formatMs(s.max)}`;
      return {
        rows: [
          {
            case: "polyarch merge process vs buildah (4 processes)",
            polyarch: formatMs(cli.median),
            reference: `buildah ${formatMs(buildah.median)}`,
            ratio: `${formatRatio(buildah.median, cli.median)} buildah/polyarch`,
            note: `median of ${ROUNDS}; ranges ${spread(cli)} vs ${spread(buildah)}; peak RSS ${peak(rss.cli)} vs ${peak(rss.buildah)} (largest buildah step)`,
          },
          {
            case: "merge() in-process (no process start) vs buildah",
            polyarch: formatMs(library.median),
            reference: `buildah ${formatMs(buildah.median)}`,
            ratio: `${formatRatio(buildah.median, library.median)} buildah/polyarch`,
            note: `range ${spread(library)}; ${sameIndex}`,
          },
          {
            case: "process start: polyarch --help vs node -e ''",
            polyarch: formatMs(polyarchStart.median),
            reference: `node ${formatMs(nodeStart.median)}`,
            ratio: `${formatRatio(polyarchStart.median, nodeStart.median)} polyarch/node`,
            note: "the fixed cost inside the process figure above",
          },
          {
            case: "requests (one more run each, through the proxy)",
            polyarch: `${requests.polyarch.counted} requests`,
            reference: `buildah ${requests.buildah.counted}`,
            ratio: `${formatRatio(requests.buildah.counted, requests.polyarch.counted)} buildah/polyarch`,
            note: `polyarch: ${formatCounts(requests.polyarch.byKind)}; buildah: ${formatCounts(requests.buildah.byKind)} (GET /v2/ not counted: ${requests.polyarch.base} vs ${requests.buildah.base})`,
          },
        ],
        data: {
          repository: REPO,
          layers: LAYERS,
          sources: SOURCES,
          rounds: ROUNDS,
          ms: { polyarchCli: cli, polyarchLibrary: library, buildah },
          startupMs: { polyarchHelp: polyarchStart, node: nodeStart },
          peakRssBytes: rss,
          requests,
          indexDigests: { polyarch: [...digests], buildah: [...buildahDigests] },
          indexes: { polyarch: ours.bytes.toString(), buildah: theirs.bytes.toString() },
        },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};

/** The three ways to merge, against the registry at `host` (the registry itself, or a proxy in front). */
function contenders(host: string, tags: string[], dir: string, options: ProcessOptions): Contenders {
  const sources = tags.map((tag) => `${host}/${REPO}:${tag}`);
  const storage = [
    "--root",
    join(dir, "buildah-root"),
    "--runroot",
    join(dir, "buildah-run"),
    "--storage-driver",
    "vfs",
  ];
  return {
    async polyarchCli(tag) {
      const run = await runProcess(
        POLYARCH_BIN,
        ["merge", "--target", `${host}/${REPO}:${tag}`, ...sources],
        options,
      );
      return { ...run, digest: run.stdout.trim().split("@")[1] ?? "" };
    },
    async polyarchLibrary(tag) {
      const { ms, value } = await timed(() => mergeInProcess(`${host}/${REPO}:${tag}`, sources));
      return { ms, digest: value.digest };
    },
    async buildah(tag) {
      const list = `bench-${tag}`;
      const digestFile = join(dir, `${list}.digest`);
      const steps = [
        ["manifest", "create", list],
        ...sources.map((source) => ["manifest", "add", "--tls-verify=false", list, `docker://${source}`]),
        [
          "manifest",
          "push",
          "--all",
          "--tls-verify=false",
          "--digestfile",
          digestFile,
          list,
          `docker://${host}/${REPO}:${tag}`,
        ],
      ];
      let ms = 0;
      let peakRssBytes: number | undefined;
      for (const step of steps) {
        const run = await runProcess("buildah", [...storage, ...step], options);
        ms += run.ms;
        if (run.peakRssBytes !== undefined) peakRssBytes = Math.max(peakRssBytes ?? 0, run.peakRssBytes);
      }
      const digest = (await readFile(digestFile, "utf8")).trim();
      return { ms, stdout: "", peakRssBytes, digest };
    },
  };
}

/** JSON with every object's keys sorted, to compare documents that differ only in key order. */
function canonicalJson(bytes: Uint8Array): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([key, inner]) => [key, sort(inner)]),
          )
        : value;
  return JSON.stringify(sort(JSON.parse(new TextDecoder().decode(bytes))));
}
