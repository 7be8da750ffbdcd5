import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSyncSpec, type SyncReport, sync } from "@polyarch/mirror";
import type { RegistryClient } from "@polyarch/oci";
import { isReceiptTag } from "@polyarch/oci";
import {
  type FaultProxy,
  fetchManifest,
  type ImageIndex,
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  sha256Digest,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { amd64, arm64, json, polyarch, requestLog, s390x, testClient, writes } from "./support.ts";

let upstream: Registry;
let target: Registry;
let up: FaultProxy;
let down: FaultProxy;
let work: TempDir;
let client: RegistryClient;
let context: ReturnType<typeof testClient>["context"];
const tools = new Map<string, ImageIndex>();

const ALPINE_TAGS = ["3.19", "3.20", "3.21", "3.22-rc1", "latest", "edge"];

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  [up, down] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(target.url)]);
  work = await tempDir("polyarch-sync-");
  for (const tag of ALPINE_TAGS) {
    await pushImage(
      upstream,
      "library/alpine",
      tag,
      await syntheticImage({ platform: amd64, seed: `alpine-${tag}` }),
    );
  }
  for (const tag of ["1.4", "1.5"]) {
    const index = indexOf([
      await syntheticImage({ platform: amd64, seed: `tool-${tag}` }),
      await syntheticImage({ platform: arm64, seed: `tool-${tag}` }),
      await syntheticImage({ platform: s390x, seed: `tool-${tag}` }),
    ]);
    tools.set(tag, index);
    await pushIndex(upstream, "org/tool", tag, index);
  }
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

const specText = (images: string, extra = "") => `${extra}images:\n${images}`;

function alpineEntry(targetRepo: string): string {
  return [
    `  - source: ${up.host}/library/alpine`,
    `    target: ${down.host}/${targetRepo}`,
    "    tags:",
    "      allow: ['3\\.\\d+', 'latest', '3\\.\\d+-rc\\d+']",
    "      deny: ['3\\.19']",
    "      semver: '>=3.0'",
    "      latest: 2",
    "",
  ].join("\n");
}

function toolEntry(targetRepo: string, tag = "", sourceRepo = "org/tool"): string {
  return [
    `  - source: ${up.host}/${sourceRepo}${tag}`,
    `    target: ${down.host}/${targetRepo}`,
    "    platforms: [linux/amd64, linux/arm64]",
    "",
  ].join("\n");
}

async function run(text: string, options: { dryRun?: boolean } = {}): Promise<SyncReport> {
  return sync(
    parseSyncSpec(text, "sync.yaml"),
    { ...context, rateLimit: (r) => client.rateLimit(r) },
    options,
  );
}

async function targetTags(repo: string): Promise<string[]> {
  const tags = await client.repository(target.host, repo).listTags();
  return tags.filter((tag) => !isReceiptTag(tag)).sort();
}

describe("polyarch sync", () => {
  it("copies the tags the filters select, with platform filters rebuilding indexes", async () => {
    const report = await run(specText(alpineEntry("mirror/alpine") + toolEntry("mirror/tool", ":1.4")));
    // allow keeps 3.x, rc and latest; deny drops 3.19; semver drops latest and the rc; latest keeps 2.
    expect(report.items.map((item) => [item.target, item.action])).toEqual([
      [`${down.host}/mirror/alpine:3.21`, "created"],
      [`${down.host}/mirror/alpine:3.20`, "created"],
      [`${down.host}/mirror/tool:1.4`, "created"],
    ]);
    expect(await targetTags("mirror/alpine")).toEqual(["3.20", "3.21"]);
    const tool = report.items[2]!;
    expect(tool.rebuilt).toEqual({ kept: ["linux/amd64", "linux/arm64"], dropped: ["linux/s390x"] });
    const stored = await fetchManifest(target, "mirror/tool", "1.4");
    expect(sha256Digest(stored.bytes)).toBe(tool.digest);
    expect(json(stored.bytes).manifests.map((m) => m.platform?.architecture)).toEqual(["amd64", "arm64"]);
    expect(report.counts).toMatchObject({ created: 3, failed: 0 });
  });

  it("re-running with nothing changed upstream costs HEAD requests, the tag lists and the referrers probe only", async () => {
    const text = specText(alpineEntry("noop/alpine") + toolEntry("noop/tool", ":1.4"));
    await run(text);
    up.reset();
    down.reset();
    const again = await run(text);
    expect(again.items.map((item) => item.action)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(again.items[2]!.digest).not.toBe(tools.get("1.4")!.manifest.digest);
    // Upstream: one tag list per repository (planning's serves referrers too), one HEAD per image, one
    // referrers probe for the registry (404: no API, so referrers are looked up in the tag lists); no
    // manifest or blob GET.
    expect(requestLog(up).sort()).toEqual([
      "GET referrers",
      "GET tags",
      "GET tags",
      "HEAD manifest",
      "HEAD manifest",
      "HEAD manifest",
    ]);
    // Target: one HEAD per image (the filtered index through its receipt tag), nothing written: upstream
    // holds no referrer tags, so no index is read for its children.
    expect(requestLog(down)).toEqual(["HEAD manifest", "HEAD manifest", "HEAD manifest"]);
  });

  it("an upstream tag that moves is copied again", async () => {
    // Its own upstream repository: a third tag in org/tool would change what other tests count.
    const text = specText(toolEntry("moved/tool", ":moving", "org/moving"));
    await pushIndex(upstream, "org/moving", "moving", tools.get("1.4")!);
    const first = await run(text);
    await pushIndex(upstream, "org/moving", "moving", tools.get("1.5")!);
    const second = await run(text);
    expect(second.items[0]).toMatchObject({
      action: "updated",
      sourceDigest: tools.get("1.5")!.manifest.digest,
    });
    expect(second.items[0]!.digest).not.toBe(first.items[0]!.digest);
  });

  it("one failed image does not stop the rest: the report lists it and the exit code is 3", async () => {
    const file = join(work.path, "keep-going.yaml");
    await writeFile(
      file,
      specText(
        toolEntry("going/tool", ":1.4") +
          `  - source: ${up.host}/org/tool:9.9\n    target: ${down.host}/going/missing\n` +
          `  - source: ${up.host}/org/tool:1.5\n    target: ${down.host}/going/tool\n    platforms: [linux/riscv64]\n` +
          toolEntry("going/tool", ":1.5"),
      ),
    );
    const cli = await polyarch(["sync", file, "--json"]);
    expect(cli.code).toBe(3);
    const report = JSON.parse(cli.stdout) as SyncReport;
    expect(report.items.map((item) => item.action)).toEqual(["created", "failed", "failed", "created"]);
    expect(report.items[1]!.error).toMatchObject({ code: "POLYARCH_E_MANIFEST_UNKNOWN" });
    expect(report.items[2]!.error).toMatchObject({ code: "POLYARCH_E_PLATFORM_NOT_FOUND" });
    expect(report.items[2]!.error!.message).toContain("linux/riscv64");
    expect(await targetTags("going/tool")).toEqual(["1.4", "1.5"]);

    const human = await polyarch(["sync", file]);
    expect(human.code).toBe(3);
    expect(human.stderr).toContain(`failed: ${up.host}/org/tool:9.9: ${up.host}/org/tool:9.9 does not exist`);
    expect(human.stderr).toMatch(/sync: 2 unchanged, 2 failed/);
  });

  it("a repository without tags is a failure, not a silent no-op", async () => {
    const logs: string[] = [];
    const report = await sync(
      parseSyncSpec(
        specText(
          `  - source: ${up.host}/org/tol\n    target: ${down.host}/typo/tool\n    tags: { latest: 1 }\n` +
            `  - source: ${up.host}/org/tool\n    target: ${down.host}/typo/tool\n    tags: { allow: ['9\\..*'] }\n`,
        ),
        "sync.yaml",
      ),
      { ...context, log: (m) => logs.push(m) },
    );
    expect(report.items).toEqual([
      expect.objectContaining({
        action: "failed",
        error: expect.objectContaining({
          code: "POLYARCH_E_NO_TAGS",
          message: `${up.host}/org/tol has no tags`,
        }),
      }),
    ]);
    expect(logs).toContain(`${up.host}/org/tool: the tag filters select none of its 2 tags`);
  });

  it("--dry-run plans and checks with HEADs, copying nothing", async () => {
    const file = join(work.path, "dry.yaml");
    await writeFile(file, specText(alpineEntry("dry/alpine")));
    const cli = await polyarch(["sync", "--dry-run", file]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe("");
    expect(cli.stderr).toContain(`pending  ${up.host}/library/alpine:3.21  →  ${down.host}/dry/alpine:3.21`);
    expect(cli.stderr).toContain("plan: 2 pending");
    expect(writes(down)).toEqual([]);
    expect(up.counter.count({ method: "GET", route: "manifest" })).toBe(0);
  });
});

describe("sync and registry rate limits", () => {
  it("slows down when ratelimit-remaining runs low, and still completes", async () => {
    up.inject({
      type: "addHeaders",
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "3;w=21600" },
      times: Number.POSITIVE_INFINITY,
    });
    const logs: string[] = [];
    const report = await sync(parseSyncSpec(specText(alpineEntry("slow/alpine")), "sync.yaml"), {
      ...context,
      rateLimit: (r) => client.rateLimit(r),
      log: (m) => logs.push(m),
    });
    expect(report.items.map((item) => item.action)).toEqual(["created", "created"]);
    expect(report.throttled).toEqual([up.host]);
    expect(logs).toContain(
      `${up.host} has 3 pulls left in its rate-limit window; pulling one image at a time`,
    );
  });

  it("pulls nothing once the quota is gone, but still finds current images with HEADs", async () => {
    await run(specText(alpineEntry("quota/alpine")));
    await pushImage(
      upstream,
      "library/alpine",
      "3.21",
      await syntheticImage({ platform: amd64, seed: "changed" }),
    );
    up.reset();
    up.inject({
      type: "addHeaders",
      headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" },
      times: Number.POSITIVE_INFINITY,
    });
    const report = await run(specText(alpineEntry("quota/alpine")));
    expect(report.items.map((item) => [item.target, item.action])).toEqual([
      [`${down.host}/quota/alpine:3.21`, "failed"],
      [`${down.host}/quota/alpine:3.20`, "unchanged"],
    ]);
    expect(report.items[0]!.error).toMatchObject({ code: "POLYARCH_E_RATE_LIMITED" });
    expect(report.items[0]!.error!.message).toContain("0 of 100 pulls left (a 21600 s window)");
    expect(up.counter.count({ method: "GET", route: "manifest" })).toBe(0);
    // Put 3.21 back as it was for the other tests.
    await pushImage(
      upstream,
      "library/alpine",
      "3.21",
      await syntheticImage({ platform: amd64, seed: "alpine-3.21" }),
    );
  });

  it("honours Retry-After on a 429 and completes", async () => {
    const limited = up.inject({ type: "rate-limit", retryAfter: 1, method: "GET", path: /\/manifests\// });
    const report = await run(specText(toolEntry("retry/tool", ":1.5")));
    expect(limited.hits).toBe(1);
    expect(report.items[0]!.action).toBe("created");
    expect(up.counter.count({ method: "GET", route: "manifest", status: 429 })).toBe(1);
  });
});

describe("sync spec", () => {
  it("names unknown keys with the closest valid one, and lists every problem with its path (exit 2)", async () => {
    const file = join(work.path, "bad.yaml");
    await writeFile(
      file,
      [
        "concurrency: 0",
        "registries:",
        "  docker.i: { concurrency: 2 }",
        "images:",
        "  - source: docker.io/library/alpine",
        "    target: registry.example.com/mirror/alpine:3.21",
        "    platfroms: [linux/amd64]",
        "    tags:",
        "      allow: ['3\\.(']",
        "      semver: 'not a range'",
        "      lates: 3",
        "  - source: docker.io/library/busybox:1.36",
        "    target: registry.example.com/mirror/busybox",
        "    platforms: [linux]",
        "",
      ].join("\n"),
    );
    const cli = await polyarch(["sync", file]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`${file} has 6 problems:`);
    expect(cli.stderr).toContain("concurrency: must be at least 1 image");
    expect(cli.stderr).toContain('images[0].platfroms: unknown key; did you mean "platforms"?');
    expect(cli.stderr).toContain('images[0].tags.lates: unknown key; did you mean "latest"?');
    expect(cli.stderr).toContain('images[0].tags.allow[0]: "3\\.(" is not a regular expression');
    expect(cli.stderr).toContain('images[0].tags.semver: "not a range" is not a semver range');
    expect(cli.stderr).toContain('images[1].platforms[0]: "linux" is not a platform');
    expect(cli.stderr).not.toContain("    at ");
  });

  it("checks rules across keys once the shape is right", () => {
    const text = [
      "registries:",
      "  docker.i: { concurrency: 2 }",
      "images:",
      "  - source: docker.io/library/alpine:3.21",
      "    target: registry.example.com/mirror/alpine",
      "    tags: { latest: 2 }",
      "  - source: docker.io/library/busybox",
      "    target: registry.example.com/mirror/busybox:stable",
      "    tags: { latest: 2 }",
      "",
    ].join("\n");
    expect(() => parseSyncSpec(text, "s.yaml")).toThrow(
      [
        "s.yaml has 3 problems:",
        "  images[0].tags: filters the tags of a repository, but source docker.io/library/alpine:3.21 names one image; drop its tag or digest, or drop tags",
        "  images[1].target: names a tag, but every selected tag of docker.io/library/busybox keeps its own; name the repository only",
        '  registries["docker.i"]: no image is read from or written to this registry; did you mean "docker.io"?',
      ].join("\n"),
    );
  });
});
