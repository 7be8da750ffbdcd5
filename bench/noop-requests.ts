import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BusyboxArch,
  busyboxImage,
  cosignSignature,
  type FaultProxy,
  type Image,
  imageFrom,
  indexOf,
  ociArtifact,
  pushCosignTag,
  pushIndex,
  pushReferrer,
  type Registry,
  startFaultProxy,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { PLATFORMS } from "./lib/fixtures.ts";
import { formatCounts, formatRatio } from "./lib/format.ts";
import { POLYARCH_BIN } from "./lib/polyarch.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { countByMethod, type RequestTally, tallyRequests } from "./lib/requests.ts";
import { createSandbox } from "./lib/sandbox.ts";
import type { Benchmark, Row } from "./lib/types.ts";

const SYNC_REPO = "library/tool";
/** The same ten tags, each signed by cosign (`.sig` on the index) with an SBOM referrer of its amd64 child. */
const SIGNED_REPO = "library/signed";
const SYNC_TAGS = Array.from({ length: 10 }, (_, i) => `1.${i}`);
const HELPER_REPO = "gitlab-org/gitlab-runner/gitlab-runner-helper";
const HELPER_VERSIONS = ["18.1.0", "18.2.0", "18.3.0", "18.4.0", "18.5.0"];
const HELPER_ARCHES: Array<[BusyboxArch, string]> = [
  ["amd64", "x86_64"],
  ["arm64", "arm64"],
];

/** What one run cost, seen by the proxies in front of upstream and target. */
interface Counted {
  upstream: RequestTally;
  target: RequestTally;
  /** Both sides, GET /v2/ left out. */
  total: number;
  byMethod: Record<string, number>;
  /** GET /v2/ probes on both sides (not in `total`). */
  base: number;
}

/**
 * Requests of a no-op re-run, counted by fault proxies in front of both the upstream and the target
 * registry: `polyarch sync` of a repository with ten tags (each a two-platform index; then with
 * `referrers: false`; then ten signed tags, each with a cosign `.sig` and an SBOM referrer), and `polyarch
 * helper refresh` of five versions × two architectures (ten per-architecture upstream tags, stitched into
 * five indexes; then with `referrers: false`), each after a first run that did the work. The peer is `skopeo sync --src docker --dest
 * docker --all` of the same ten upstream tags, re-run the same way through the same proxies (into its own
 * target repositories). GET /v2/ is left out of the totals, as in the other request benchmarks.
 */
export const noopRequests: Benchmark = {
  name: "noop-requests",
  title: "no-op re-runs: requests of polyarch sync / helper refresh vs skopeo sync (10 tags)",
  async run(context) {
    const [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
    const proxies: FaultProxy[] = [];
    const sandbox = await createSandbox();
    try {
      const [up, down] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(target.url)]);
      proxies.push(up, down);
      await seedSyncSource(upstream);
      await seedSignedSource(upstream);
      await seedHelperUpstream(upstream);
      const options: ProcessOptions = { env: sandbox.env, cwd: sandbox.dir, signal: context.signal };

      const counted = async (run: () => Promise<unknown>): Promise<Counted> => {
        context.signal.throwIfAborted();
        up.reset();
        down.reset();
        await run();
        const upstreamTally = tallyRequests(up.counter.requests);
        const targetTally = tallyRequests(down.counter.requests);
        return {
          upstream: upstreamTally,
          target: targetTally,
          total: upstreamTally.counted + targetTally.counted,
          byMethod: mergeCounts(countByMethod(up.counter.requests), countByMethod(down.counter.requests)),
          base: upstreamTally.base + targetTally.base,
        };
      };
      const polyarch = async (args: string[], expect: string) => {
        const run = await runProcess(POLYARCH_BIN, [...args, "--json"], options);
        const counts = (JSON.parse(run.stdout) as { counts: Record<string, number> }).counts;
        const got = formatCounts(Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)));
        if (got !== expect) throw new Error(`polyarch ${args.join(" ")}: expected ${expect}, got ${got}`);
      };
      const skopeoSync = (source: string, destination: string) =>
        runProcess(
          "skopeo",
          [
            "sync",
            "--src",
            "docker",
            "--dest",
            "docker",
            "--all",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            source,
            destination,
          ],
          { ...options, timeoutMs: 60_000 },
        );

      // sync: ten tags of one repository, each a two-platform index.
      const syncSpec = join(sandbox.dir, "mirror.yaml");
      await writeFile(
        syncSpec,
        [
          "images:",
          `  - source: ${up.host}/${SYNC_REPO}`,
          `    target: ${down.host}/mirror/tool`,
          "    tags: {}",
          "",
        ].join("\n"),
      );
      const syncFirst = await counted(() => polyarch(["sync", syncSpec], "created 10"));
      const syncNoop = await counted(() => polyarch(["sync", syncSpec], "unchanged 10"));
      const skopeoSyncSource = `${up.host}/${SYNC_REPO}`;
      const skopeoSyncFirst = await counted(() => skopeoSync(skopeoSyncSource, `${down.host}/skopeo`));
      const skopeoSyncNoop = await counted(() => skopeoSync(skopeoSyncSource, `${down.host}/skopeo`));
      context.log(`sync no-op: polyarch ${syncNoop.total}, skopeo ${skopeoSyncNoop.total} requests`);

      // The same without referrers, and a signed repository (cosign .sig tags, SBOM referrers by the fallback tag).
      const plainSpec = join(sandbox.dir, "mirror-no-referrers.yaml");
      await writeFile(
        plainSpec,
        [
          "images:",
          `  - source: ${up.host}/${SYNC_REPO}`,
          `    target: ${down.host}/mirror/tool-plain`,
          "    tags: {}",
          "    referrers: false",
          "",
        ].join("\n"),
      );
      await counted(() => polyarch(["sync", plainSpec], "created 10"));
      const syncNoopNoReferrers = await counted(() => polyarch(["sync", plainSpec], "unchanged 10"));
      const signedSpec = join(sandbox.dir, "mirror-signed.yaml");
      await writeFile(
        signedSpec,
        [
          "images:",
          `  - source: ${up.host}/${SIGNED_REPO}`,
          `    target: ${down.host}/mirror/signed`,
          "    tags: {}",
          "",
        ].join("\n"),
      );
      const signedFirst = await counted(() => polyarch(["sync", signedSpec], "created 10"));
      const signedNoop = await counted(() => polyarch(["sync", signedSpec], "unchanged 10"));
      const skopeoSigned = `${up.host}/${SIGNED_REPO}`;
      const skopeoSignedFirst = await counted(() => skopeoSync(skopeoSigned, `${down.host}/skopeo-signed`));
      const skopeoSignedNoop = await counted(() => skopeoSync(skopeoSigned, `${down.host}/skopeo-signed`));
      context.log(
        `sync no-op: without referrers ${syncNoopNoReferrers.total}; signed: polyarch ${signedNoop.total}, skopeo ${skopeoSignedNoop.total} requests`,
      );

      // helper refresh: five versions × two architectures, stitched into five indexes.
      const helperSpecText = (repository: string, extra: string[] = []) =>
        [
          "upstream:",
          `  registry: ${up.host}`,
          `  repository: ${HELPER_REPO}`,
          `versions: { list: [${HELPER_VERSIONS.map((v) => `'${v}'`).join(", ")}] }`,
          "flavors: [alpine]",
          `architectures: [${HELPER_ARCHES.map(([, name]) => name).join(", ")}]`,
          "target:",
          `  repository: ${down.host}/${repository}`,
          ...extra,
          "",
        ].join("\n");
      const helperSpec = join(sandbox.dir, "helper.yaml");
      await writeFile(helperSpec, helperSpecText("helper/gitlab-runner-helper"));
      const helperFirst = await counted(() => polyarch(["helper", "refresh", helperSpec], "created 5"));
      const helperNoop = await counted(() => polyarch(["helper", "refresh", helperSpec], "unchanged 5"));
      const helperPlainSpec = join(sandbox.dir, "helper-no-referrers.yaml");
      await writeFile(
        helperPlainSpec,
        helperSpecText("helper/gitlab-runner-helper-plain", ["referrers: false"]),
      );
      await counted(() => polyarch(["helper", "refresh", helperPlainSpec], "created 5"));
      const helperNoopNoReferrers = await counted(() =>
        polyarch(["helper", "refresh", helperPlainSpec], "unchanged 5"),
      );
      const skopeoHelperSource = `${up.host}/${HELPER_REPO}`;
      const skopeoHelperFirst = await counted(() =>
        skopeoSync(skopeoHelperSource, `${down.host}/skopeo-helper`),
      );
      const skopeoHelperNoop = await counted(() =>
        skopeoSync(skopeoHelperSource, `${down.host}/skopeo-helper`),
      );
      context.log(
        `helper no-op: polyarch ${helperNoop.total} (without referrers ${helperNoopNoReferrers.total}), skopeo ${skopeoHelperNoop.total} requests`,
      );

      // HEAD source + target per tag, the tag list, and one referrers probe for the registry (404 here).
      const syncBound = 2 * SYNC_TAGS.length + 2;
      // Signed: also, per tag, a GET of the stored index (its children are subjects), HEADs of the .sig tag on
      // both sides, and a GET of the amd64 child's fallback index on both sides; and the target's probe.
      const signedBound = 7 * SYNC_TAGS.length + 3;
      // HEAD per upstream tag and per target tag; for the run, a referrers probe (404 here) and a tag list of
      // upstream, which holds no referrer tag, so no stored index is read.
      const helperBound = HELPER_VERSIONS.length * HELPER_ARCHES.length + HELPER_VERSIONS.length + 2;
      const rows: Row[] = [
        ...compare(
          `sync no-op, ${SYNC_TAGS.length} tags (2-platform indexes)`,
          syncNoop,
          skopeoSyncNoop,
          `bound ${syncBound} (HEAD source + target per tag, 1 tag list, 1 referrers probe); with referrers: false ${syncNoopNoReferrers.total}`,
          syncBound,
        ),
        ...compare(
          `sync no-op, ${SYNC_TAGS.length} signed tags (cosign .sig + an SBOM referrer each)`,
          signedNoop,
          skopeoSignedNoop,
          `bound ${signedBound} (computed: per tag HEAD source + target, GET stored index, HEAD .sig both sides, GET fallback index both sides; 1 tag list, 1 probe per registry); skopeo syncs the 20 referrer tags as plain tags, polyarch as the image's referrers`,
          signedBound,
        ),
        ...compare(
          `helper refresh no-op, ${HELPER_VERSIONS.length} versions × ${HELPER_ARCHES.length} arch`,
          helperNoop,
          skopeoHelperNoop,
          `bound ${helperBound} (HEAD per upstream tag + per target tag, 1 referrers probe, 1 tag list); with referrers: false ${helperNoopNoReferrers.total}; skopeo copies the 10 tags as they are, no stitching`,
          helperBound,
        ),
      ];
      return {
        rows,
        data: {
          sync: {
            tags: SYNC_TAGS,
            polyarch: { first: syncFirst, noop: syncNoop, noopWithoutReferrers: syncNoopNoReferrers },
            signed: { polyarch: { first: signedFirst, noop: signedNoop } },
          },
          helper: {
            versions: HELPER_VERSIONS,
            architectures: HELPER_ARCHES.map(([, name]) => name),
            polyarch: { first: helperFirst, noop: helperNoop, noopWithoutReferrers: helperNoopNoReferrers },
          },
          skopeo: {
            sync: { first: skopeoSyncFirst, noop: skopeoSyncNoop },
            signed: { first: skopeoSignedFirst, noop: skopeoSignedNoop },
            helperTags: { first: skopeoHelperFirst, noop: skopeoHelperNoop },
          },
        },
      };
    } finally {
      await sandbox.remove();
      for (const proxy of proxies) await proxy.stop();
      await Promise.all([upstream.stop(), target.stop()]);
    }
  },
};

/** Two rows per scenario: totals with the ratio, then requests by method with per-method ratios. */
function compare(label: string, ours: Counted, theirs: Counted, boundNote: string, bound: number): Row[] {
  const side = (counted: Counted) =>
    `upstream ${counted.upstream.counted}, target ${counted.target.counted}, GET /v2/ ${counted.base} not counted`;
  const methods = [...new Set([...Object.keys(ours.byMethod), ...Object.keys(theirs.byMethod)])];
  const perMethod = methods
    .map((method) => {
      const a = ours.byMethod[method] ?? 0;
      const b = theirs.byMethod[method] ?? 0;
      return `${method} ${b}/${a}${a > 0 && b > 0 ? ` (${formatRatio(b, a)})` : ""}`;
    })
    .join(" · ");
  const writes = (counted: Counted) =>
    ["PUT", "POST", "PATCH", "DELETE"].reduce((sum, method) => sum + (counted.byMethod[method] ?? 0), 0);
  return [
    {
      case: label,
      polyarch: `${ours.total} requests`,
      reference: `skopeo sync ${theirs.total}`,
      ratio: `${formatRatio(theirs.total, ours.total)} skopeo/polyarch`,
      note: `polyarch: ${side(ours)}; skopeo: ${side(theirs)}; with GET /v2/: ${ours.total + ours.base} vs ${theirs.total + theirs.base}; ${boundNote}${ours.total > bound ? "; ABOVE BOUND" : ""}`,
    },
    {
      case: `${label}, by method`,
      polyarch: formatCounts(ours.byMethod) || "none",
      reference: `skopeo ${formatCounts(theirs.byMethod) || "none"}`,
      ratio: `${perMethod} skopeo/polyarch`,
      note: `writes: polyarch ${writes(ours)}, skopeo ${writes(theirs)}; by route: polyarch ${formatCounts(mergeCounts(ours.upstream.byKind, ours.target.byKind))}; skopeo ${formatCounts(mergeCounts(theirs.upstream.byKind, theirs.target.byKind))}`,
    },
  ];
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const merged = { ...a };
  for (const [key, n] of Object.entries(b)) merged[key] = (merged[key] ?? 0) + n;
  return merged;
}

/** Ten tags 1.0 … 1.9 of one repository, each a small two-platform OCI index. */
async function seedSyncSource(upstream: Registry): Promise<void> {
  for (const tag of SYNC_TAGS) {
    const images = await Promise.all(
      PLATFORMS.slice(0, 2).map((platform) => syntheticImage({ platform, seed: `tool-${tag}` })),
    );
    await pushIndex(upstream, SYNC_REPO, tag, indexOf(images));
  }
}

/** SYNC_TAGS again, each signed: a cosign `.sig` tag on the index, an SBOM of the amd64 child in its fallback index. */
async function seedSignedSource(upstream: Registry): Promise<void> {
  for (const tag of SYNC_TAGS) {
    const images = await Promise.all(
      PLATFORMS.slice(0, 2).map((platform) => syntheticImage({ platform, seed: `signed-${tag}` })),
    );
    const index = indexOf(images);
    await pushIndex(upstream, SIGNED_REPO, tag, index);
    await pushCosignTag(
      upstream,
      SIGNED_REPO,
      cosignSignature(index.manifest.digest, `${upstream.host}/${SIGNED_REPO}`),
    );
    await pushReferrer(upstream, SIGNED_REPO, ociArtifact(images[0]!.descriptor));
  }
}

/**
 * Ten per-architecture helper tags, `<arch>-v<version>` (the alpine flavor has no prefix), each a one-entry
 * index as upstream publishes them since 17.8, holding the real busybox-static for its architecture at
 * /usr/bin/gitlab-runner-helper, with a label that makes each version's image distinct.
 */
async function seedHelperUpstream(upstream: Registry): Promise<void> {
  for (const version of HELPER_VERSIONS) {
    for (const [arch, name] of HELPER_ARCHES) {
      await pushIndex(
        upstream,
        HELPER_REPO,
        `${name}-v${version}`,
        indexOf([await helperImage(arch, version)]),
      );
    }
  }
}

async function helperImage(arch: BusyboxArch, version: string): Promise<Image> {
  const base = await busyboxImage({ arch, path: "/usr/bin/gitlab-runner-helper" });
  const config = JSON.parse(base.config.bytes.toString("utf8")) as { rootfs: { diff_ids: string[] } };
  const [layer] = base.layers;
  const [diffId] = config.rootfs.diff_ids;
  if (layer === undefined || diffId === undefined) throw new Error("busyboxImage gave no layer");
  return imageFrom({
    platform: { os: "linux", architecture: arch },
    layers: [{ blob: layer, diffId }],
    labels: { "org.opencontainers.image.version": version },
    cmd: ["/usr/bin/gitlab-runner-helper"],
  });
}
