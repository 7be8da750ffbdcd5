import { startRegistry } from "@polyarch/test-harness";
import { type DelegatedCgroup, delegateCgroup } from "../test/executor/support/cgroup.ts";
import { executorUser, FLAT_USER, pathWithout } from "../test/executor/support/host-user.ts";
import { jobImage, pushJobImage } from "../test/executor/support/images.ts";
import { type RunnerHost, type RunnerHostOptions, startRunnerHost } from "../test/executor/support/runner.ts";
import { bareBwrapTimes } from "./lib/bare-bwrap.ts";
import { formatMs, formatRatio } from "./lib/format.ts";
import { summarize } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

const ROUNDS = 5;

/** Wall time of a warm job start as gitlab-runner drives it: prepare, a `true` step, cleanup. */
async function jobStart(host: RunnerHost, id: number, image: string): Promise<number> {
  const job = { id, image, script: ["true"] };
  const start = performance.now();
  const prepared = await host.stage("prepare", job);
  const { step, finish } = await host.startStep(job, { prepared: true });
  const result = await step;
  await finish();
  const elapsed = performance.now() - start;
  if (prepared.exitCode !== 0 || result.exitCode !== 0)
    throw new Error(`bench job ${id} failed:\n${prepared.output}${result.all}`);
  return elapsed;
}

/**
 * What the job's own namespaces cost a warm job start (prepare + `true` step + cleanup, the built
 * binary): one uid (a runner user without subordinate ids), a full-range user namespace (holder,
 * newuidmap/newgidmap), that plus `network: isolated` (pasta; and slirp4netns, on a PATH without
 * pasta), and that plus a cgroup of the job's own (the runner in a delegated cgroup,
 * test/executor/support/cgroup.ts), against `bwrap` started by hand.
 */
export const executorIsolation: Benchmark = {
  name: "executor-isolation",
  title:
    "executor: job start with one uid, a full-range namespace, and an isolated network, vs bwrap by hand",
  timeoutMs: 600_000,
  async run(context) {
    const registry = await startRegistry();
    const hosts: RunnerHost[] = [];
    let delegated: DelegatedCgroup | undefined;
    try {
      delegated = await delegateCgroup(executorUser());
      const image = await pushJobImage(registry, "bench/isolation", "1", await jobImage());
      const variants = [
        { label: "one uid (no subordinate ids), host network", settings: {}, user: FLAT_USER },
        { label: "full-range namespace, host network", settings: {}, user: undefined },
        {
          label: "full-range namespace, network: isolated (pasta)",
          settings: { network: "isolated" },
          user: undefined,
        },
        {
          label: "full-range namespace, network: isolated (slirp4netns: no pasta on PATH)",
          settings: { network: "isolated" },
          user: undefined,
          env: ((dir) => ({ PATH: pathWithout(["pasta"], `${dir}/bin`) })) as RunnerHostOptions["env"],
        },
        {
          label: "full-range namespace, network: isolated, a cgroup of its own",
          settings: { network: "isolated" },
          user: undefined,
          cgroup: delegated.runner,
        },
      ];
      const samples: Record<string, number[]> = {};
      for (const [index, variant] of variants.entries()) {
        const host = await startRunnerHost(variant.settings, {
          built: true,
          ...(variant.user !== undefined && { user: variant.user }),
          ...("cgroup" in variant && { cgroup: variant.cgroup }),
          ...("env" in variant && { env: variant.env }),
        });
        hosts.push(host);
        await jobStart(host, 1000 * (index + 1), image);
        const times: number[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          context.signal.throwIfAborted();
          times.push(await jobStart(host, 1000 * (index + 1) + round, image));
        }
        samples[variant.label] = times;
        context.log(`${variant.label}: median ${formatMs(summarize(times).median)}`);
      }
      const host = hosts[0] as RunnerHost;
      const floor = await bareBwrapTimes(host, ROUNDS);
      const f = summarize(floor).median;
      const base = summarize(samples[variants[0]?.label as string] as number[]).median;
      return {
        rows: variants.map((variant) => {
          const median = summarize(samples[variant.label] as number[]).median;
          return {
            case: `${variant.label}, median of ${ROUNDS}`,
            polyarch: formatMs(median),
            reference: `bwrap by hand ${formatMs(f)}`,
            ratio: `${formatRatio(median, f)} polyarch/bwrap`,
            note: `${formatRatio(median, base)} against one uid; prepare + run + cleanup`,
          };
        }),
        data: { samples, floor },
      };
    } finally {
      await delegated?.remove();
      for (const host of hosts) await host.remove();
      await registry.stop();
    }
  },
};
