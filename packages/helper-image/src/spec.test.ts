import { readFile } from "node:fs/promises";
import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { parseHelperSpec } from "./spec.ts";

const HELPER_YAML = new URL("../../../images/gitlab-runner-helper/helper.yaml", import.meta.url);

function problems(text: string): string[] {
  try {
    parseHelperSpec(text, "helper.yaml");
  } catch (error: unknown) {
    if (!isPolyarchError(error, "POLYARCH_E_BAD_SPEC")) throw error;
    expect(error.kind).toBe("input");
    return error.message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
  throw new Error("expected the spec to be refused");
}

const minimal =
  "versions: { list: ['18.9.0'] }\nflavors: [alpine]\narchitectures: [x86_64, arm64]\ntarget: { repository: registry.example.com/helper }\n";

describe("parseHelperSpec", () => {
  it("reads the repository's helper.yaml", async () => {
    const spec = parseHelperSpec(await readFile(HELPER_YAML, "utf8"), "helper.yaml");
    expect(spec).toEqual({
      upstream: {
        registry: "registry.gitlab.com",
        repository: "gitlab-org/gitlab-runner/gitlab-runner-helper",
        multiArchSince: "19.2.0",
      },
      versions: { range: ">=18.9.0", latest: 3 },
      flavors: [
        { name: "alpine", architectures: ["x86_64", "arm64"] },
        { name: "alpine-latest", architectures: ["x86_64", "arm64"] },
        { name: "ubuntu", architectures: ["x86_64", "arm64"] },
      ],
      target: { repository: "registry.example.com/platform/gitlab-runner-helper", tag: "{prefix}v{version}" },
      fixPlatform: true,
      referrers: true,
      binaries: ["/usr/bin/gitlab-runner-helper"],
      concurrency: 2,
    });
  });

  it("fills in upstream's defaults and lets a flavor narrow the architectures", () => {
    const spec = parseHelperSpec(
      `${minimal.replace("flavors: [alpine]", "flavors: [alpine, { name: ubuntu, architectures: [x86_64] }]")}`,
      "helper.yaml",
    );
    expect(spec.upstream.registry).toBe("registry.gitlab.com");
    expect(spec.target.tag).toBe("{prefix}v{version}");
    expect(spec.fixPlatform).toBe(false);
    expect(spec.referrers).toBe(true);
    expect(spec.flavors[1]).toEqual({ name: "ubuntu", architectures: ["x86_64"] });
  });

  it("checks rules across keys", () => {
    expect(
      problems(
        [
          "upstream: { registry: 'registry.gitlab.com', repository: 'gitlab-org/helper:v1' }",
          "versions: { list: ['18.9.0', '18.9.0'], range: '>=18' }",
          "flavors: [alpine, ubuntu, alpine]",
          "architectures: [x86_64, x86_64]",
          "target: { repository: 'registry.example.com/helper', tag: 'v{version}' }",
        ].join("\n"),
      ),
    ).toEqual([
      "versions: give either list (explicit versions) or range (with latest)",
      'versions.list[1]: "18.9.0" is listed twice',
      'architectures[1]: "x86_64" is listed twice',
      'flavors[2]: "alpine" is listed twice',
      "upstream: registry.gitlab.com/gitlab-org/helper:v1 names a tag or digest; give the upstream registry and repository only",
      'target.tag: "v{version}" has no {flavor} or {prefix}, so the 3 flavors would get the same tag',
    ]);
    expect(
      problems(
        minimal.replace("versions: { list: ['18.9.0'] }", "versions: { list: ['18.9.0'], latest: 2 }"),
      ),
    ).toEqual(["versions.latest: applies to a range; with list, every listed version is taken"]);
    expect(
      problems(
        minimal.replace("registry.example.com/helper }", "registry.example.com/helper, tag: latest }"),
      ),
    ).toEqual(['target.tag: "latest" has no {version}: every version would get the same tag']);
  });

  it("reports YAML errors and duplicate keys with their line", () => {
    expect(problems(`${minimal}flavors: [ubuntu]\n`)[0]).toMatch(
      /^line 5, column 1: Map keys must be unique/,
    );
  });
});
