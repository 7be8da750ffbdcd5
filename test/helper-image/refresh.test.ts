import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseHelperSpec, type RefreshReport, refresh } from "@polyarch/helper-image";
import { type RegistryClient, readBlob } from "@polyarch/oci";
import {
  type FaultProxy,
  fetchManifest,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { json, polyarch, requestLog, testClient } from "../mirror/support.ts";
import {
  childOf,
  helperImage,
  pushPerArch,
  REPOSITORY,
  type SeededUpstream,
  seedUpstream,
} from "./upstream.ts";

// Two real registries: "upstream" plays registry.gitlab.com, "target" the platform team's registry.
let upstream: Registry;
let target: Registry;
let up: FaultProxy;
let down: FaultProxy;
let work: TempDir;
let seeded: SeededUpstream;
let client: RegistryClient;
let context: ReturnType<typeof testClient>["context"];

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  [up, down] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(target.url)]);
  work = await tempDir("polyarch-helper-");
  seeded = await seedUpstream(upstream);
});
afterAll(async () => {
  await client?.close();
  await work?.remove();
  await Promise.all([up?.stop(), down?.stop()]);
  await Promise.all([upstream?.stop(), target?.stop()]);
});
beforeEach(async () => {
  await client?.close();
  ({ client, context } = testClient());
  up.reset();
  down.reset();
});

interface SpecOptions {
  versions: string;
  flavors?: string[];
  fixPlatform?: boolean;
  repository: string;
  /** @default true, as in the spec */
  referrers?: boolean;
}

function specText(options: SpecOptions): string {
  return [
    "upstream:",
    `  registry: ${up.host}`,
    `  repository: ${REPOSITORY}`,
    `versions: ${options.versions}`,
    `flavors: [${(options.flavors ?? ["alpine"]).join(", ")}]`,
    "architectures: [x86_64, arm64]",
    "target:",
    `  repository: ${down.host}/${options.repository}`,
    `fixPlatform: ${options.fixPlatform ?? false}`,
    `referrers: ${options.referrers ?? true}`,
    "",
  ].join("\n");
}

async function run(options: SpecOptions, extra: { force?: boolean } = {}): Promise<RefreshReport> {
  return refresh(parseHelperSpec(specText(options), "helper.yaml"), context, extra);
}

const linux = ["linux/amd64", "linux/arm64"];

describe("helper refresh before 19.2: stitching per-architecture tags", () => {
  it("stitches the per-architecture images into one verified multi-arch index per flavor", async () => {
    const report = await run({
      versions: "{ list: [18.9.0] }",
      flavors: ["alpine", "ubuntu"],
      repository: "stitch/helper",
    });
    expect(report.items.map((item) => [item.target, item.action, item.mode])).toEqual([
      [`${down.host}/stitch/helper:v18.9.0`, "created", "stitch"],
      [`${down.host}/stitch/helper:ubuntu-v18.9.0`, "created", "stitch"],
    ]);
    for (const [item, flavorPrefix] of [
      [report.items[0]!, ""],
      [report.items[1]!, "ubuntu-"],
    ] as const) {
      expect(item.platforms).toEqual(linux);
      expect(item.reference).toBe(`${item.target}@${item.digest}`);
      const raw = await skopeoInspectRaw(`${target.host}/stitch/helper:${flavorPrefix}v18.9.0`);
      expect(sha256Digest(raw)).toBe(item.digest);
      const index = json(raw);
      expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
      expect(index.manifests.map((m) => [m.digest, m.platform])).toEqual([
        [childOf(seeded, `${flavorPrefix}x86_64-v18.9.0`), { os: "linux", architecture: "amd64" }],
        [childOf(seeded, `${flavorPrefix}arm64-v18.9.0`), { os: "linux", architecture: "arm64" }],
      ]);
      expect(index.annotations).toMatchObject({
        "org.opencontainers.image.version": "18.9.0",
        "dev.polyarch.helper.flavor": flavorPrefix === "" ? "alpine" : "ubuntu",
      });
      // Each image was checked from its helper binary.
      expect(item.verified?.map((v) => v.summary)).toEqual([
        "1 ELF executable checked (/usr/bin/gitlab-runner-helper): x86-64, matching amd64",
        "1 ELF executable checked (/usr/bin/gitlab-runner-helper): AArch64, matching arm64",
      ]);
    }
  });

  it("re-running when nothing changed pushes nothing: one HEAD per upstream tag and one per target tag, and one referrers lookup per run", async () => {
    for (const referrers of [true, false]) {
      const options = {
        versions: "{ list: [18.9.0] }",
        flavors: ["alpine", "ubuntu"],
        repository: `noop/helper-${referrers ? "with" : "without"}-referrers`,
        referrers,
      };
      const first = await run(options);
      expect(first.items.map((item) => item.error)).toEqual([undefined, undefined]);
      up.reset();
      down.reset();
      const again = await run(options);
      expect(again.items.map((item) => item.action)).toEqual(["unchanged", "unchanged"]);
      expect(again.items.map((item) => item.digest)).toEqual(first.items.map((item) => item.digest));
      // Referrers: one probe of upstream's referrers API (404 from distribution 2.8) and one tag list, for
      // the run; they hold no referrer, so the stored indexes are not read. referrers: false asks nothing.
      const lookups = referrers ? ["GET referrers", "GET tags"] : [];
      expect(requestLog(up).sort()).toEqual([...Array(4).fill("HEAD manifest"), ...lookups].sort());
      expect(requestLog(down)).toEqual(Array(2).fill("HEAD manifest"));
    }
  });

  it("picks up an upstream image that was republished", async () => {
    const options = {
      versions: "{ list: [18.9.0] }",
      flavors: ["alpine-latest"],
      repository: "moved/helper",
    };
    const first = await run(options);
    const rebuilt = await helperImage("arm64", { flavor: "alpine-latest", version: "18.9.0", revision: "2" });
    await pushPerArch(upstream, "alpine-latest", "arm64", "18.9.0", rebuilt);
    const second = await run(options);
    expect(second.items[0]!.action).toBe("updated");
    expect(second.items[0]!.digest).not.toBe(first.items[0]!.digest);
    const index = json((await fetchManifest(target, "moved/helper", "alpine-latest-v18.9.0")).bytes);
    expect(index.manifests[1]!.digest).toBe(rebuilt.manifest.digest);
  });
});

describe("helper refresh from 19.2: upstream's multi-arch indexes", () => {
  it("mirrors the index keeping only the configured Linux platforms (the Windows image is dropped)", async () => {
    const report = await run({
      versions: "{ list: [19.2.0] }",
      flavors: ["alpine", "ubuntu"],
      repository: "index/helper",
    });
    expect(report.items.map((item) => [item.target, item.action, item.mode])).toEqual([
      [`${down.host}/index/helper:v19.2.0`, "created", "index"],
      [`${down.host}/index/helper:ubuntu-v19.2.0`, "created", "index"],
    ]);
    const upstreamIndex = seeded.multiArch.get("v19.2.0")!;
    expect(upstreamIndex.images.map((image) => image.platform.os)).toEqual(["linux", "linux", "windows"]);
    const stored = json((await fetchManifest(target, "index/helper", "v19.2.0")).bytes);
    expect(stored.manifests.map((m) => [m.digest, m.platform?.architecture])).toEqual([
      [upstreamIndex.images[0]!.manifest.digest, "amd64"],
      [upstreamIndex.images[1]!.manifest.digest, "arm64"],
    ]);
    const windows = await fetchManifest(target, "index/helper", upstreamIndex.images[2]!.manifest.digest);
    expect(windows.status).toBe(404);
    // Again: one HEAD per upstream index, one per target tag; the run's referrers probe and tag list.
    up.reset();
    down.reset();
    const again = await run({
      versions: "{ list: [19.2.0] }",
      flavors: ["alpine", "ubuntu"],
      repository: "index/helper",
    });
    expect(again.items.map((item) => item.action)).toEqual(["unchanged", "unchanged"]);
    expect(requestLog(up).sort()).toEqual(
      ["HEAD manifest", "HEAD manifest", "GET referrers", "GET tags"].sort(),
    );
    expect(requestLog(down)).toEqual(["HEAD manifest", "HEAD manifest"]);
  });
});

describe("helper refresh verification", () => {
  it("fails a mislabelled image, naming the tag, the label and the real architecture; the rest complete", async () => {
    const file = join(work.path, "mislabel.yaml");
    await writeFile(
      file,
      specText({ versions: "{ list: [18.8.0, 18.9.0] }", repository: "mislabel/helper" }),
    );
    const cli = await polyarch(["helper", "refresh", file, "--json"]);
    expect(cli.code).toBe(3);
    const report = JSON.parse(cli.stdout) as RefreshReport;
    expect(report.items.map((item) => [item.version, item.action])).toEqual([
      ["18.8.0", "failed"],
      ["18.9.0", "created"],
    ]);
    expect(report.items[0]!.error).toMatchObject({ code: "POLYARCH_E_HELPER_VERIFY" });
    expect(report.items[0]!.error!.message).toBe(
      "arm64-v18.8.0 is labelled linux/amd64, but its helper binary is arm64 (AArch64), as the tag says",
    );
    expect((await fetchManifest(target, "mislabel/helper", "v18.8.0")).status).toBe(404);

    const human = await polyarch(["helper", "refresh", file]);
    expect(human.code).toBe(3);
    expect(human.stdout).toBe(`${report.items[1]!.reference}\n`);
    expect(human.stderr).toContain(
      `failed: ${down.host}/mislabel/helper:v18.8.0: arm64-v18.8.0 is labelled linux/amd64`,
    );
    expect(human.stderr).toMatch(/^unchanged\s+18\.9\.0\s+alpine\s+/m);
  });

  it("with fixPlatform, republishes it with a corrected config and says so", async () => {
    const report = await run({
      versions: "{ list: [18.8.0] }",
      fixPlatform: true,
      repository: "fixed/helper",
    });
    const item = report.items[0]!;
    expect(item.action).toBe("fixed");
    const original = childOf(seeded, "arm64-v18.8.0");
    expect(item.fixed).toEqual([
      {
        source: "arm64-v18.8.0",
        label: "linux/amd64",
        platform: "linux/arm64",
        from: original,
        to: expect.any(String),
      },
    ]);
    const fixedDigest = item.fixed![0]!.to;
    expect(fixedDigest).not.toBe(original);
    const index = json((await fetchManifest(target, "fixed/helper", "v18.8.0")).bytes);
    expect(index.manifests[1]).toMatchObject({
      digest: fixedDigest,
      platform: { os: "linux", architecture: "arm64" },
      annotations: { "dev.polyarch.helper.relabelled-from": original },
    });
    // The republished image: same layers, a new config that says arm64.
    const fixedManifest = JSON.parse(
      (await fetchManifest(target, "fixed/helper", fixedDigest)).bytes.toString(),
    );
    const upstreamManifest = seeded.perArch.get("arm64-v18.8.0")!.images[0]!;
    expect(fixedManifest.layers).toEqual(JSON.parse(upstreamManifest.manifest.bytes.toString()).layers);
    expect(fixedManifest.config.digest).not.toBe(upstreamManifest.config.digest);
    const config = JSON.parse(
      (await readBlob(client.repository(target.host, "fixed/helper"), fixedManifest.config)).toString(),
    );
    expect(config).toMatchObject({ os: "linux", architecture: "arm64" });
    expect(config.config.Labels["org.opencontainers.image.version"]).toBe("18.8.0");

    const again = await run({
      versions: "{ list: [18.8.0] }",
      fixPlatform: true,
      repository: "fixed/helper",
    });
    expect(again.items[0]).toMatchObject({ action: "unchanged", digest: item.digest });
    // --force rebuilds past the receipt and arrives at the same index: the tag is not rewritten.
    down.reset();
    const forced = await run(
      { versions: "{ list: [18.8.0] }", fixPlatform: true, repository: "fixed/helper" },
      { force: true },
    );
    expect(forced.items[0]).toMatchObject({ action: "unchanged", digest: item.digest });
    expect(forced.items[0]!.fixed).toHaveLength(1);
    expect(down.counter.count({ method: "GET", route: "blob" })).toBeGreaterThan(0);
    expect(down.counter.count({ method: "PUT", route: "manifest", path: /\/manifests\/v18\.8\.0$/ })).toBe(0);
  });

  it("never fixes an image whose binary is for another architecture", async () => {
    const report = await run({
      versions: "{ list: [18.7.0] }",
      fixPlatform: true,
      repository: "wrong/helper",
    });
    expect(report.items[0]!.action).toBe("failed");
    expect(report.items[0]!.error!.message).toBe(
      "arm64-v18.7.0 should be linux/arm64, but /usr/bin/gitlab-runner-helper is amd64 (x86-64); it is labelled linux/arm64",
    );
    expect((await fetchManifest(target, "wrong/helper", "v18.7.0")).status).toBe(404);
  });
});

describe("helper refresh under faults", () => {
  it("a fault in the middle leaves no target tag on an incomplete index; the next run completes", async () => {
    const options = {
      versions: "{ list: [18.9.0] }",
      flavors: ["alpine", "ubuntu"],
      repository: "fault/helper",
    };
    // Every upload of the ubuntu arm64 image's config fails, so that item cannot be completed.
    const config = seeded.perArch.get("ubuntu-arm64-v18.9.0")!.images[0]!.config.digest;
    down.inject({
      type: "status",
      status: 500,
      method: "PUT",
      path: new RegExp(encodeURIComponent(config)),
      times: Number.POSITIVE_INFINITY,
    });
    const first = await run(options);
    expect(first.items.map((item) => [item.flavor, item.action])).toEqual([
      ["alpine", "created"],
      ["ubuntu", "failed"],
    ]);
    expect((await fetchManifest(target, "fault/helper", "ubuntu-v18.9.0")).status).toBe(404);
    expect(down.counter.count({ method: "PUT", route: "manifest", path: "ubuntu-v18.9.0" })).toBe(0);

    down.reset();
    const second = await run(options);
    expect(second.items.map((item) => [item.flavor, item.action])).toEqual([
      ["alpine", "unchanged"],
      ["ubuntu", "created"],
    ]);
    const raw = await skopeoInspectRaw(`${target.host}/fault/helper:ubuntu-v18.9.0`);
    expect(json(raw).manifests.map((m) => m.digest)).toEqual([
      childOf(seeded, "ubuntu-x86_64-v18.9.0"),
      childOf(seeded, "ubuntu-arm64-v18.9.0"),
    ]);
  });

  it("a missing upstream tag fails that item only", async () => {
    // 18.8.0 exists upstream for alpine only (its arm64 image is the mislabelled one, fixed here).
    const report = await run({
      versions: "{ list: [18.8.0] }",
      flavors: ["alpine", "ubuntu"],
      fixPlatform: true,
      repository: "missing/helper",
    });
    expect(report.items.map((item) => [item.flavor, item.action])).toEqual([
      ["alpine", "fixed"],
      ["ubuntu", "failed"],
    ]);
    expect(report.items[0]!.error).toBeUndefined();
    expect(report.items[1]!.error).toMatchObject({
      code: "POLYARCH_E_UPSTREAM_MISSING",
      message: `${up.host}/${REPOSITORY} has no ubuntu-x86_64-v18.8.0, ubuntu-arm64-v18.8.0`,
    });
    expect((await fetchManifest(target, "missing/helper", "v18.8.0")).status).toBe(200);
    expect((await fetchManifest(target, "missing/helper", "ubuntu-v18.8.0")).status).toBe(404);
  });
});
