import { indexOf, pushIndex, startRegistry, syntheticImage } from "@polyarch/test-harness";
import { PLATFORMS } from "./lib/fixtures.ts";
import { formatBytes, formatMs, formatRatio } from "./lib/format.ts";
import { POLYARCH_BIN, runCliInProcess } from "./lib/polyarch.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize, timed } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const REPO = "bench/inspect";
const ROUNDS = 15;
/** The goal: `inspect --raw` within this factor of skopeo's time. */
const GOAL = 2;

/**
 * `polyarch inspect --raw` against `skopeo inspect --raw` for a two-platform index: both one GET of the
 * manifest, so this is mostly process start and client set-up. Also `main()` in this process, to show
 * what is left without the start. Rounds alternate the order, after one untimed warm-up.
 */
export const inspectVsSkopeo: Benchmark = {
  name: "inspect-vs-skopeo",
  title: "inspect --raw of a 2-platform index, polyarch vs skopeo",
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      const images = await Promise.all(
        PLATFORMS.slice(0, 2).map((platform) => syntheticImage({ platform, seed: "inspect" })),
      );
      const index = indexOf(images);
      await pushIndex(registry, REPO, "multi", index);
      const reference = `${registry.host}/${REPO}:multi`;
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };
      const expected = index.manifest.bytes.toString();

      const samples = { cli: [] as number[], inProcess: [] as number[], skopeo: [] as number[] };
      const rss = { cli: [] as number[], skopeo: [] as number[] };
      const mismatches: string[] = [];
      const check = (who: string, output: string) => {
        if (output !== expected) mismatches.push(who);
      };
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const order = round % 2 === 0 ? ["cli", "skopeo", "inProcess"] : ["skopeo", "inProcess", "cli"];
        for (const who of order) {
          if (who === "cli") {
            const run = await runProcess(POLYARCH_BIN, ["inspect", "--raw", reference], options);
            check("polyarch", run.stdout);
            if (round > 0) samples.cli.push(run.ms);
            if (run.peakRssBytes !== undefined) rss.cli.push(run.peakRssBytes);
          } else if (who === "skopeo") {
            const run = await runProcess(
              "skopeo",
              ["inspect", "--raw", "--tls-verify=false", `docker://${reference}`],
              options,
            );
            check("skopeo", run.stdout);
            if (round > 0) samples.skopeo.push(run.ms);
            if (run.peakRssBytes !== undefined) rss.skopeo.push(run.peakRssBytes);
          } else {
            const { ms, value } = await timed(() =>
              runCliInProcess(["inspect", "--raw", reference], sandbox.env, sandbox.dir),
            );
            check("polyarch main()", value);
            if (round > 0) samples.inProcess.push(ms);
          }
        }
      }
      context.log(`${ROUNDS} rounds done`);

      const cli = summarize(samples.cli);
      const inProcess = summarize(samples.inProcess);
      const skopeo = summarize(samples.skopeo);
      const peak = (values: number[]) => (values.length > 0 ? formatBytes(Math.max(...values)) : "n/a");
      const bytes =
        mismatches.length === 0
          ? "output identical to the pushed bytes"
          : `OUTPUT DIFFERS from the pushed bytes: ${[...new Set(mismatches)].join(", ")}`;
      return {
        rows: [
          {
            case: "process vs process",
            polyarch: formatMs(cli.median),
            reference: `skopeo ${formatMs(skopeo.median)}`,
            ratio: `${formatRatio(cli.median, skopeo.median)} polyarch/skopeo`,
            note: `median of ${ROUNDS}; goal ≤ ${GOAL}×: ${cli.median <= GOAL * skopeo.median ? "met" : "NOT MET"}; peak RSS ${peak(rss.cli)} vs ${peak(rss.skopeo)}; ${bytes}`,
          },
          {
            case: "main() in-process vs skopeo process (diagnostic: no process start)",
            polyarch: formatMs(inProcess.median),
            reference: `skopeo ${formatMs(skopeo.median)}`,
            ratio: `${formatRatio(inProcess.median, skopeo.median)} polyarch/skopeo`,
            note: `range ${formatMs(inProcess.min)}–${formatMs(inProcess.max)}`,
          },
        ],
        data: {
          reference: `${REPO}:multi`,
          rounds: ROUNDS,
          ms: { polyarchCli: cli, polyarchInProcess: inProcess, skopeo },
          peakRssBytes: rss,
          mismatches,
        },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};
