import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { busyboxImage, pushImage, startFaultProxy, startRegistry, vfsStorage } from "@polyarch/test-harness";
import { formatCounts, formatMs, formatRatio } from "./lib/format.ts";
import { POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

/** Timed rounds per contender, after one untimed warm-up round. */
const ROUNDS = 5;
/** The layer the RUN step writes: incompressible, so the push uploads this much every round. */
const PAYLOAD_MIB = 8;

/**
 * Wall time of `polyarch build` (Buildah underneath) against the same `buildah bud` + `buildah push` run by
 * hand, in one vfs storage shared by both: a two-line Dockerfile over a busybox base in the same registry,
 * whose RUN step runs every round (bud keeps no layer cache without --layers). Rounds alternate the order
 * and push fresh tags. polyarch runs twice per round: as it does by default (Buildah pushes, polyarch reads
 * the image back by digest) and with `--push-with polyarch` (Buildah writes a local layout, polyarch checks
 * and pushes it). Then one more run of each through the fault proxy counts the requests.
 */
export const buildVsBuildah: Benchmark = {
  name: "build-vs-buildah",
  title: "build: polyarch build vs buildah bud + push by hand (busybox base, one RUN step)",
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      await pushImage(registry, "bench/base", "1", await busyboxImage({ arch: "amd64", applets: ["sh"] }));
      const storage = await vfsStorage(sandbox.dir);
      const buildContext = join(sandbox.dir, "context");
      await mkdir(buildContext);
      await writeFile(
        join(buildContext, "Dockerfile"),
        `FROM ${registry.host}/bench/base:1\nRUN /bin/busybox dd if=/dev/urandom of=/payload bs=1M count=${PAYLOAD_MIB} 2>/dev/null\n`,
      );
      const options: ProcessOptions = {
        env: {
          ...sandbox.env,
          ...storage,
          CI_COMMIT_SHORT_SHA: "bench",
          CI_PIPELINE_ID: "1",
        },
        cwd: sandbox.dir,
        signal: context.signal,
      };
      const polyarchWith = (pushWith: "builder" | "polyarch") => (host: string, tag: string) =>
        runProcess(
          POLYARCH_BIN,
          [
            ...["build", "--builder", "buildah", "--push-with", pushWith, "--context", buildContext],
            ...["--image", `${host}/bench/app`, "--tag-template", `{arch}-${tag}`],
          ],
          options,
        );
      const contenders = {
        polyarch: polyarchWith("builder"),
        polyarchPush: polyarchWith("polyarch"),
      };
      const byHand = async (host: string, tag: string) => {
        const reference = `${host}/bench/app:amd64-${tag}`;
        const digestFile = join(sandbox.dir, `${tag}.digest`);
        const bud = await runProcess(
          "buildah",
          [
            "bud",
            "--isolation",
            "chroot",
            "--platform",
            "linux/amd64",
            "--tls-verify=false",
            "--tag",
            reference,
            buildContext,
          ],
          options,
        );
        const push = await runProcess(
          "buildah",
          ["push", "--tls-verify=false", "--digestfile", digestFile, reference, `docker://${reference}`],
          options,
        );
        return { ms: bud.ms + push.ms, digest: (await readFile(digestFile, "utf8")).trim() };
      };

      type Who = "polyarch" | "polyarchPush" | "byHand";
      const samples: Record<Who, number[]> = { polyarch: [], polyarchPush: [], byHand: [] };
      const orders: Who[][] = [
        ["polyarch", "polyarchPush", "byHand"],
        ["byHand", "polyarch", "polyarchPush"],
        ["polyarchPush", "byHand", "polyarch"],
      ];
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        for (const who of orders[round % orders.length] as Who[]) {
          const tag = `${who}-${round}`;
          const ms =
            who === "byHand"
              ? (await byHand(registry.host, tag)).ms
              : (await contenders[who](registry.host, tag)).ms;
          if (round > 0) samples[who].push(ms);
        }
        context.log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
      }

      // One more run of each through a proxy of its own (a host buildah's blob-info cache has not seen, so
      // neither run skips uploads the other made), to count requests.
      const count = async (run: (host: string) => Promise<unknown>) => {
        const proxy = await startFaultProxy(registry.url);
        try {
          await run(proxy.host);
          return tallyRequests(proxy.counter.requests);
        } finally {
          await proxy.stop();
        }
      };
      const requests = {
        polyarch: await count((host) => contenders.polyarch(host, "count-polyarch")),
        polyarchPush: await count((host) => contenders.polyarchPush(host, "count-polyarch-push")),
        byHand: await count((host) => byHand(host, "count-by-hand")),
      };

      const ours = summarize(samples.polyarch);
      const pushing = summarize(samples.polyarchPush);
      const theirs = summarize(samples.byHand);
      const extra = requests.polyarch.counted - requests.byHand.counted;
      const pushExtra = requests.polyarchPush.counted - requests.byHand.counted;
      const signed = (n: number) => `${n >= 0 ? "+" : ""}${n}`;
      return {
        rows: [
          {
            case: "polyarch build vs buildah bud + push",
            polyarch: formatMs(ours.median),
            reference: `by hand ${formatMs(theirs.median)}`,
            ratio: `${formatRatio(ours.median, theirs.median)} polyarch/by hand`,
            note: `median of ${ROUNDS}, ${PAYLOAD_MIB} MiB layer; ranges ${formatMs(ours.min)}–${formatMs(ours.max)} vs ${formatMs(theirs.min)}–${formatMs(theirs.max)}; fixed cost ${formatMs(ours.median - theirs.median)} (process start, read-back); goal under 1.1×`,
          },
          {
            case: "the same with --push-with polyarch",
            polyarch: formatMs(pushing.median),
            reference: `by hand ${formatMs(theirs.median)}`,
            ratio: `${formatRatio(pushing.median, theirs.median)} polyarch/by hand`,
            note: `median of ${ROUNDS}; ranges ${formatMs(pushing.min)}–${formatMs(pushing.max)}; Buildah writes every layer into a local layout, then polyarch pushes it`,
          },
          {
            case: "push requests, one more run each through the proxy",
            polyarch: `${requests.polyarch.counted} / ${requests.polyarchPush.counted} requests`,
            reference: `by hand ${requests.byHand.counted}`,
            ratio: `${signed(extra)} / ${signed(pushExtra)} requests`,
            note: `goal +2 for the read-back; polyarch (builder push): ${formatCounts(requests.polyarch.byKind)}; --push-with polyarch: ${formatCounts(requests.polyarchPush.byKind)}; by hand: ${formatCounts(requests.byHand.byKind)} (GET /v2/ not counted)`,
          },
        ],
        data: {
          rounds: ROUNDS,
          ms: { polyarch: ours, polyarchPush: pushing, byHand: theirs },
          samples,
          requests,
        },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};
