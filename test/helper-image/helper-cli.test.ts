import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RefreshReport } from "@polyarch/helper-image";
import {
  type FaultProxy,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { json, polyarch, writes } from "../mirror/support.ts";
import { childOf, REPOSITORY, type SeededUpstream, seedUpstream } from "./upstream.ts";

const HELPER_YAML = new URL("../../images/gitlab-runner-helper/helper.yaml", import.meta.url).pathname;

let upstream: Registry;
let target: Registry;
let up: FaultProxy;
let down: FaultProxy;
let work: TempDir;
let seeded: SeededUpstream;

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  [up, down] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(target.url)]);
  work = await tempDir("polyarch-helper-cli-");
  seeded = await seedUpstream(upstream);
});
afterAll(async () => {
  await work?.remove();
  await Promise.all([up?.stop(), down?.stop()]);
  await Promise.all([upstream?.stop(), target?.stop()]);
});
beforeEach(() => {
  up.reset();
  down.reset();
});

const overrides = (repository: string) => [
  "--upstream",
  `${up.host}/${REPOSITORY}`,
  "--target",
  `${down.host}/${repository}`,
];

describe("the repository's images/gitlab-runner-helper/helper.yaml", () => {
  it("plans the three newest versions in range per flavor, with HEAD requests only", async () => {
    const cli = await polyarch([
      "helper",
      "plan",
      HELPER_YAML,
      // A target no other test refreshes into, so every item is still pending whatever ran before.
      ...overrides("platform/planned"),
      "--json",
    ]);
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as RefreshReport;
    // The range is >=18.9.0: 18.8.0 and older are left out; 19.2.0 is an upstream index, 18.9.0 is stitched.
    expect(report.items.map((item) => [item.version, item.flavor, item.mode, item.action])).toEqual([
      ["19.2.0", "alpine", "index", "pending"],
      ["19.2.0", "alpine-latest", "index", "pending"],
      ["19.2.0", "ubuntu", "index", "pending"],
      ["18.9.0", "alpine", "stitch", "pending"],
      ["18.9.0", "alpine-latest", "stitch", "pending"],
      ["18.9.0", "ubuntu", "stitch", "pending"],
    ]);
    expect(report.items[0]!.upstream).toEqual([
      { tag: "v19.2.0", digest: seeded.multiArch.get("v19.2.0")!.manifest.digest },
    ]);
    expect(report.items[3]!.upstream.map((u) => u.tag)).toEqual(["x86_64-v18.9.0", "arm64-v18.9.0"]);
    expect(writes(down)).toEqual([]);
    expect(up.counter.count({ method: "GET", route: "manifest" })).toBe(0);
    expect(up.counter.count({ method: "GET", route: "tags" })).toBe(1);
  });

  it("refreshes, pins each result by digest on stdout, and is a no-op the second time", async () => {
    const cli = await polyarch([
      "helper",
      "refresh",
      HELPER_YAML,
      ...overrides("platform/gitlab-runner-helper"),
    ]);
    expect(cli.code).toBe(0);
    const lines = cli.stdout.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(
      new RegExp(`^${down.host}/platform/gitlab-runner-helper:v19\\.2\\.0@sha256:[a-f0-9]{64}$`),
    );
    expect(cli.stderr).toMatch(/^ACTION\s+VERSION\s+FLAVOR\s+TARGET\s+DIGEST\s+PLATFORMS$/m);
    expect(cli.stderr).toMatch(
      /^created\s+18\.9\.0\s+ubuntu\s+\S+:ubuntu-v18\.9\.0\s+sha256:\S+\s+linux\/amd64,linux\/arm64$/m,
    );
    expect(cli.stderr).toContain("refresh: 6 created");
    const stitched = json(
      await skopeoInspectRaw(`${target.host}/platform/gitlab-runner-helper:alpine-latest-v18.9.0`),
    );
    expect(stitched.manifests.map((m) => m.digest)).toEqual([
      childOf(seeded, "alpine-latest-x86_64-v18.9.0"),
      childOf(seeded, "alpine-latest-arm64-v18.9.0"),
    ]);
    const pinned = lines[0]!.split("@")[1];
    expect(sha256Digest(await skopeoInspectRaw(`${target.host}/platform/gitlab-runner-helper:v19.2.0`))).toBe(
      pinned,
    );

    up.reset();
    down.reset();
    const again = await polyarch([
      "helper",
      "refresh",
      HELPER_YAML,
      ...overrides("platform/gitlab-runner-helper"),
      "--json",
    ]);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as RefreshReport).counts).toMatchObject({ unchanged: 6, created: 0 });
    // The tag list (the version range, where referrer tags are looked up too), one referrers probe (404:
    // no API, and no referrer tag, so nothing more), one HEAD per upstream tag (3 indexes + 3 × 2
    // per-arch), one per target tag.
    expect(up.counter.count({ method: "GET", route: "tags" })).toBe(1);
    expect(up.counter.count({ method: "GET", route: "referrers" })).toBe(1);
    expect(up.counter.count({ method: "HEAD", route: "manifest" })).toBe(9);
    expect(up.counter.requests).toHaveLength(11);
    expect(down.counter.count({ method: "HEAD", route: "manifest" })).toBe(6);
    expect(down.counter.requests).toHaveLength(6);
  });

  it("writes to an oci: layout target as well", async () => {
    const dir = join(work.path, "layout");
    const file = join(work.path, "layout.yaml");
    await writeFile(
      file,
      [
        `upstream: { registry: ${up.host}, repository: ${REPOSITORY} }`,
        "versions: { list: ['18.9.0'] }",
        "flavors: [alpine]",
        "architectures: [arm64]",
        `target: { repository: "oci:${dir}", tag: "helper-{version}" }`,
        "",
      ].join("\n"),
    );
    const cli = await polyarch(["helper", "refresh", file, "--json"]);
    expect(cli.code).toBe(0);
    const item = (JSON.parse(cli.stdout) as RefreshReport).items[0]!;
    expect(item).toMatchObject({
      action: "created",
      target: `oci:${dir}:helper-18.9.0`,
      platforms: ["linux/arm64"],
    });
    expect(sha256Digest(await skopeoInspectRaw(`oci:${dir}:helper-18.9.0`))).toBe(item.digest);
  });
});

describe("helper spec validation", () => {
  it("lists every problem with its path and suggests the closest key (exit 2)", async () => {
    const file = join(work.path, "bad.yaml");
    await writeFile(
      file,
      [
        "upstream: { registry: registry.gitlab.com, repo: x }",
        "versions: { list: [18.9, '18.9.0'], latest: 2 }",
        "flavors: [alpine, 'Ubuntu']",
        "architectures: [amd64, arm64, mips]",
        "target: { repository: registry.example.com/helper }",
        "fixplatform: true",
        "",
      ].join("\n"),
    );
    const cli = await polyarch(["helper", "refresh", file]);
    expect(cli.code).toBe(2);
    const problems = cli.stderr.split("\n").filter((line) => line.startsWith("  "));
    expect(problems).toEqual([
      '  upstream.repo: unknown key; did you mean "repository"? (valid keys: registry, repository, multiArchSince)',
      "  versions.list[0]: write the version as quoted text x.y.z, not the number 18.9",
      '  flavors[1]: "Ubuntu" is not a flavor name (e.g. alpine, alpine3.21, ubuntu)',
      '  architectures[0]: "amd64" is not how helper tags name it; write x86_64',
      '  architectures[2]: "mips" is not a helper architecture; use x86_64, arm64, arm, s390x, ppc64le, riscv64',
      '  fixplatform: unknown key; did you mean "fixPlatform"? (valid keys: upstream, versions, flavors, architectures, target, fixPlatform, referrers, verify, concurrency)',
    ]);
    expect(cli.stderr).toContain("hint: see images/gitlab-runner-helper/README.md");
  });

  it("refuses bad --upstream and --target flags", async () => {
    const upstreamTag = await polyarch(["helper", "plan", HELPER_YAML, "--upstream", `${up.host}/x:tag`]);
    expect(upstreamTag.code).toBe(2);
    expect(upstreamTag.stderr).toContain(`--upstream ${up.host}/x:tag names a tag or digest`);
  });
});
