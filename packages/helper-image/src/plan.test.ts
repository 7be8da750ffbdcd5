import { describe, expect, it } from "vitest";
import { planRefresh, selectVersions } from "./plan.ts";
import type { HelperSpec } from "./spec.ts";
import { renderTargetTag, versionOfTag } from "./tags.ts";

const spec: HelperSpec = {
  upstream: {
    registry: "registry.gitlab.com",
    repository: "gitlab-org/gitlab-runner/gitlab-runner-helper",
    multiArchSince: "19.2.0",
  },
  versions: { range: ">=18.8.0", latest: 2 },
  flavors: [
    { name: "alpine", architectures: ["x86_64", "arm64"] },
    { name: "ubuntu", architectures: ["x86_64", "arm64"] },
  ],
  target: { repository: "registry.example.com/helper", tag: "{prefix}v{version}" },
  fixPlatform: false,
  referrers: true,
  binaries: ["/usr/bin/gitlab-runner-helper"],
  concurrency: 2,
};

const upstreamTags = [
  "x86_64-v18.7.0",
  "arm64-v18.7.0",
  "x86_64-v18.8.0",
  "arm64-v18.8.0",
  "ubuntu-x86_64-v18.8.0",
  "x86_64-v18.9.0",
  "arm64-v18.9.0",
  "ubuntu-x86_64-v18.9.0",
  "ubuntu-arm64-v18.9.0",
  "x86_64-v18.9.0-pwsh",
  "x86_64-v18.9.0-servercore21H2",
  "x86_64-latest",
  "x86_64-bleeding",
  "v19.2.0",
  "ubuntu-v19.2.0",
  "arm64-v19.2.0",
  "v19.3.0-rc1",
];

describe("helper tag scheme", () => {
  it("reads release versions from tags, leaving out Windows, pwsh and revision tags", () => {
    expect(upstreamTags.map(versionOfTag).filter(Boolean)).toEqual([
      "18.7.0",
      "18.7.0",
      "18.8.0",
      "18.8.0",
      "18.8.0",
      "18.9.0",
      "18.9.0",
      "18.9.0",
      "18.9.0",
      "19.2.0",
      "19.2.0",
      "19.2.0",
    ]);
  });

  it("renders target tags: alpine has no prefix, like upstream's own tags", () => {
    expect(renderTargetTag("{prefix}v{version}", "alpine", "18.9.0")).toBe("v18.9.0");
    expect(renderTargetTag("{prefix}v{version}", "alpine3.21", "18.9.0")).toBe("alpine3.21-v18.9.0");
    expect(renderTargetTag("helper-{flavor}-{version}", "alpine", "18.9.0")).toBe("helper-alpine-18.9.0");
  });
});

describe("planRefresh", () => {
  it("selects the latest N versions in range that upstream has every tag of, per flavor", () => {
    expect(selectVersions(spec, spec.flavors[0]!, upstreamTags)).toEqual(["19.2.0", "18.9.0"]);
    // ubuntu-arm64-v18.8.0 is missing, so ubuntu 18.8.0 is not available.
    expect(
      selectVersions({ ...spec, versions: { range: ">=18.8.0" } }, spec.flavors[1]!, upstreamTags),
    ).toEqual(["19.2.0", "18.9.0"]);
  });

  it("stitches per-architecture tags before multiArchSince and mirrors the index from it", () => {
    const items = planRefresh(spec, upstreamTags);
    expect(
      items.map((item) => [item.version, item.flavor, item.mode, item.upstreamTags, item.targetTag]),
    ).toEqual([
      ["19.2.0", "alpine", "index", ["v19.2.0"], "v19.2.0"],
      ["19.2.0", "ubuntu", "index", ["ubuntu-v19.2.0"], "ubuntu-v19.2.0"],
      ["18.9.0", "alpine", "stitch", ["x86_64-v18.9.0", "arm64-v18.9.0"], "v18.9.0"],
      ["18.9.0", "ubuntu", "stitch", ["ubuntu-x86_64-v18.9.0", "ubuntu-arm64-v18.9.0"], "ubuntu-v18.9.0"],
    ]);
    expect(items[0]!.platforms).toEqual([
      { os: "linux", architecture: "amd64" },
      { os: "linux", architecture: "arm64" },
    ]);
  });

  it("takes a version list as it is, without the upstream's tags", () => {
    const items = planRefresh({
      ...spec,
      versions: { list: ["18.1.0"] },
      flavors: [{ name: "alpine", architectures: ["arm"] }],
    });
    expect(items).toEqual([
      {
        version: "18.1.0",
        flavor: "alpine",
        mode: "stitch",
        upstreamTags: ["arm-v18.1.0"],
        architectures: ["arm"],
        platforms: [{ os: "linux", architecture: "arm", variant: "v7" }],
        targetTag: "v18.1.0",
      },
    ]);
  });
});
