import { type ProxiedRequest, startFaultProxy, startRegistry } from "@polyarch/test-harness";
import { type PushedSource, pushSources } from "./lib/fixtures.ts";
import { formatBytes, formatCounts, formatRatio } from "./lib/format.ts";
import { mergeInProcess, runCliInProcess } from "./lib/polyarch.ts";
import { tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import type { Benchmark, Row } from "./lib/types.ts";

const REPO = "bench/merge-requests";
const COUNTS = [2, 4, 8];

/**
 * Requests `merge` makes when every source already sits in the target repository: per source one GET of
 * its manifest and one of its config, then one HEAD of the target tag and one PUT of the index, so at most
 * 2N+2. An anonymous registry behind the fault proxy, whose counter sees every request; GET /v2/ (the auth
 * handshake) is left out. Run twice per N: the first run creates the tag, the re-run should find it current.
 * Then N=2 once more through the CLI (`main()` in this process), to check the wiring adds nothing.
 */
export const mergeRequests: Benchmark = {
  name: "merge-requests",
  title: "merge: HTTP requests, N sources already in the target repository",
  async run(context) {
    const registry = await startRegistry();
    const proxy = await startFaultProxy(registry.url);
    const sandbox = await createSandbox();
    try {
      const pushed = await pushSources(registry, REPO, Math.max(...COUNTS), [4096, 4096]);
      const rows: Row[] = [];
      const results: Array<Record<string, unknown>> = [];
      const measure = async (
        n: number,
        label: string,
        tag: string,
        merge: (target: string, sources: string[]) => Promise<string>,
      ) => {
        context.signal.throwIfAborted();
        const sources = pushed.slice(0, n).map((source) => `${proxy.host}/${REPO}:${source.tag}`);
        proxy.reset();
        const action = await merge(`${proxy.host}/${REPO}:${tag}`, sources);
        const tally = tallyRequests(proxy.counter.requests);
        const layers = layerReads(proxy.counter.requests, pushed);
        const bound = 2 * n + 2;
        const moved = `layer blobs read ${layers.count} (${formatBytes(layers.bytes)}), uploads ${tally.uploads}`;
        context.log(`N=${n} ${label}: ${tally.counted} requests (${action})`);
        rows.push({
          case: `N=${n}, ${label} (${action})`,
          polyarch: `${tally.counted} requests`,
          reference: `bound ${bound} (2N+2)`,
          ratio: `${formatRatio(tally.counted, bound)} of bound`,
          note: `${formatCounts(tally.byKind)}; ${moved}${tally.counted > bound ? "; ABOVE BOUND" : ""}`,
        });
        results.push({ n, label, action, bound, ...tally, layerBlobsRead: layers });
      };

      const library = async (target: string, sources: string[]) =>
        (await mergeInProcess(target, sources)).action;
      for (const n of COUNTS) {
        await measure(n, "first run", `merged-${n}`, library);
        await measure(n, "re-run", `merged-${n}`, library);
      }
      await measure(2, "CLI main(), first run", "cli-2", async (target, sources) => {
        const output = await runCliInProcess(
          ["merge", "--json", "--target", target, ...sources],
          sandbox.env,
          sandbox.dir,
        );
        return (JSON.parse(output) as { action: string }).action;
      });
      return { rows, data: { repository: REPO, results } };
    } finally {
      await sandbox.remove();
      await proxy.stop();
      await registry.stop();
    }
  },
};

/** GETs of layer blobs (not configs) that reached the registry: what a merge in place should never need. */
function layerReads(
  requests: readonly ProxiedRequest[],
  pushed: PushedSource[],
): { count: number; bytes: number } {
  const sizes = new Map(
    pushed.flatMap(({ image }) => image.layers.map((layer) => [layer.digest, layer.size])),
  );
  let count = 0;
  let bytes = 0;
  for (const request of requests) {
    const digest = request.path.split("?")[0]?.split("/").pop() ?? "";
    const size = sizes.get(digest);
    if (request.method === "GET" && request.route === "blob" && size !== undefined) {
      count += 1;
      bytes += size;
    }
  }
  return { count, bytes };
}
