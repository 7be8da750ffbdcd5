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
 * and push fresh tags. polyarch's run includes Buildah writing the image into a local layout and
 * polyarch checking and pushing it. Then one more run of each through the fault proxy counts the requests
 * of polyarch's push against Buildah's own.
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
      const polyarch = (host: string, tag: string) =>
        runProcess(
          POLYARCH_BIN,
          [
            "build",
            "--builder",
            "buildah",
            "--context",
            buildContext,
            "--image",
            `${host}/bench/app`,
            "--tag-template",
            `{arch}-${tag}`,
          ],
          options,
        );
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

      const samples = { polyarch: [] as number[], byHand: [] as number[] };
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const order = round % 2 === 0 ? ["polyarch", "byHand"] : ["byHand", "polyarch"];
        for (const who of order) {
          const tag = `${who}-${round}`;
          const ms =
            who === "polyarch"
              ? (await polyarch(registry.host, tag)).ms
              : (await byHand(registry.host, tag)).ms;
          if (round > 0) samples[who as "polyarch" | "byHand"].push(ms);
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
        polyarch: await count((host) => polyarch(host, "count-polyarch")),
        byHand: await count((host) => byHand(host, "count-by-hand")),
      };

      const ours = summarize(samples.polyarch);
      const theirs = summarize(samples.byHand);
      const extra = requests.polyarch.counted - requests.byHand.counted;
      return {
        rows: [
          {
            case: "polyarch build vs buildah bud + push",
            polyarch: formatMs(ours.median),
            reference: `by hand ${formatMs(theirs.median)}`,
            ratio: `${formatRatio(ours.median, theirs.median)} polyarch/by hand`,
            note: `median of ${ROUNDS}, ${PAYLOAD_MIB} MiB layer; ranges ${formatMs(ours.min)}–${formatMs(ours.max)} vs ${formatMs(theirs.min)}–${formatMs(theirs.max)}; fixed cost ${formatMs(ours.median - theirs.median)} (process start, the local layout, the check); goal under 1.1×`,
          },
          {
            case: "push requests, one more run each through the proxy",
            polyarch: `${requests.polyarch.counted} requests`,
            reference: `by hand ${requests.byHand.counted}`,
            ratio: `${extra >= 0 ? "+" : ""}${extra} requests`,
            note: `goal: no more than Buildah's own push (the check reads the local layout); polyarch: ${formatCounts(requests.polyarch.byKind)}; by hand: ${formatCounts(requests.byHand.byKind)} (GET /v2/ not counted)`,
          },
        ],
        data: { rounds: ROUNDS, ms: { polyarch: ours, byHand: theirs }, samples, requests },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};
