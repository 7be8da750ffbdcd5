import type { Platform } from "@polyarch/oci";
import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { type BuildFacts, type BuildOptions, planBuild } from "./plan.ts";

const amd64: Platform = { os: "linux", architecture: "amd64" };
const arm64: Platform = { os: "linux", architecture: "arm64" };
const ci = { CI_COMMIT_SHORT_SHA: "1a2b3c", CI_PIPELINE_ID: "42" };

const options = (extra: Partial<BuildOptions> = {}): BuildOptions => ({
  buildArgs: [],
  labels: [],
  emulate: false,
  verifyBinaries: false,
  passThrough: [],
  insecureRegistries: [],
  image: "registry.example.com/team/app",
  ...extra,
});

const facts = (extra: Partial<BuildFacts> = {}): BuildFacts => ({
  host: amd64,
  env: ci,
  cwd: "/builds/team/app",
  builders: { present: ["buildah"], overlayUsable: false },
  dockerfileText: "FROM registry.example.com/base/alpine:3\n",
  ...extra,
});

describe("planBuild", () => {
  it("builds the machine's platform under the unique default tag, with the bases' registries' credentials", () => {
    const plan = planBuild(
      options(),
      facts({
        host: arm64,
        env: { ...ci, CI_REGISTRY: "gitlab.example.com:5050" },
        dockerfileText:
          "FROM docker.io/library/golang:1.23 AS build\nFROM build\nFROM gcr.io/distroless/static\n",
      }),
    );
    expect(plan).toMatchObject({
      platform: arm64,
      emulated: false,
      destination: { registry: "registry.example.com", repository: "team/app", tag: "arm64-1a2b3c-42" },
      context: "/builds/team/app",
      dockerfile: "/builds/team/app/Dockerfile",
      plainHttp: [],
      authHosts: ["registry.example.com", "docker.io", "gcr.io", "gitlab.example.com:5050"],
      storageDriver: "vfs",
      warnings: [],
    });
    expect(plan.builder.name).toBe("buildah");
  });

  it("uses overlay when it can be used, and reaches loopback and --insecure-registry hosts over HTTP", () => {
    const plan = planBuild(
      options({ image: "127.0.0.1:5000/team/app", insecureRegistries: ["registry.lan"] }),
      facts({
        builders: { present: ["buildah"], overlayUsable: true },
        dockerfileText: "FROM registry.lan/base:1\n",
      }),
    );
    expect(plan.storageDriver).toBeUndefined();
    expect(plan.plainHttp).toEqual(["127.0.0.1:5000", "registry.lan"]);
  });

  it("emulates another platform only when asked to, with a warning, and not with Kaniko", () => {
    const plan = planBuild(options({ platform: "linux/arm64", emulate: true }), facts());
    expect(plan).toMatchObject({ platform: arm64, emulated: true });
    expect(plan.warnings[0]).toContain("building linux/arm64 on a linux/amd64 machine through QEMU");
    expect(thrown(() => planBuild(options({ platform: "linux/arm64" }), facts())).message).toContain(
      "--platform linux/arm64 is not this machine's platform (linux/amd64)",
    );
    expect(
      thrown(() =>
        planBuild(
          options({ platform: "linux/arm64", emulate: true }),
          facts({ builders: { present: ["kaniko"], overlayUsable: false } }),
        ),
      ).message,
    ).toContain("--emulate needs Buildah or BuildKit");
    expect(thrown(() => planBuild(options({ emulate: true }), facts())).code).toBe("POLYARCH_E_BAD_FLAG");
  });

  it("refuses an emulated build when the machine has no binfmt handler for the platform, before anything runs", () => {
    const builders = { present: ["buildah" as const], overlayUsable: false };
    const emulate = options({ platform: "linux/arm64", emulate: true });
    const error = thrown(() =>
      planBuild(emulate, facts({ builders: { ...builders, emulators: ["qemu-arm"] } })),
    );
    expect(error.code).toBe("POLYARCH_E_NO_EMULATOR");
    expect(error.message).toContain("qemu-aarch64");
    expect(
      planBuild(emulate, facts({ builders: { ...builders, emulators: ["qemu-aarch64"] } })).emulated,
    ).toBe(true);
    // binfmt_misc not readable here: the builder will say whether it can run arm64 code.
    expect(planBuild(emulate, facts({ builders })).emulated).toBe(true);
  });

  it("refuses a job whose node selector asked for arm64 but landed on amd64, naming both and the setting", () => {
    const error = thrown(() =>
      planBuild(
        options(),
        facts({ env: { ...ci, KUBERNETES_NODE_SELECTOR_ARCH: "kubernetes.io/arch=arm64" } }),
      ),
    );
    expect(error.code).toBe("POLYARCH_E_MISROUTED");
    expect(error.kind).toBe("operation");
    expect(error.message).toContain(
      "asked for arm64 (KUBERNETES_NODE_SELECTOR_ARCH) but runs on a linux/amd64 machine",
    );
    expect(error.hint).toContain("node_selector_overwrite_allowed");
  });

  it("accepts the job on the machine it asked for, and an emulated build for the platform it asked for", () => {
    const env = { ...ci, POLYARCH_PLATFORM: "linux/arm64" };
    expect(planBuild(options(), facts({ host: arm64, env })).platform).toEqual(arm64);
    expect(planBuild(options({ platform: "linux/arm64", emulate: true }), facts({ env })).emulated).toBe(
      true,
    );
    expect(thrown(() => planBuild(options(), facts({ env }))).code).toBe("POLYARCH_E_MISROUTED");
  });

  it("fills the OCI labels from CI variables unless --label sets them", () => {
    const plan = planBuild(
      options({ labels: ["org.opencontainers.image.source=https://mirror.example.com/app", "team=core"] }),
      facts({
        env: { ...ci, CI_PROJECT_URL: "https://gitlab.example.com/team/app", CI_COMMIT_SHA: "1a2b3c4d" },
      }),
    );
    expect(plan.labels).toEqual([
      ["org.opencontainers.image.source", "https://mirror.example.com/app"],
      ["org.opencontainers.image.revision", "1a2b3c4d"],
      ["team", "core"],
    ]);
  });

  it.each<[string, Partial<BuildOptions>, Partial<BuildFacts>, string]>([
    ["no Dockerfile", {}, { dockerfileText: undefined }, "POLYARCH_E_NO_DOCKERFILE"],
    ["an unknown builder", { builder: "docker" }, {}, "POLYARCH_E_BAD_FLAG"],
    ["no builder", {}, { builders: { present: [], overlayUsable: false } }, "POLYARCH_E_NO_BUILDER"],
    ["a tag template without {arch}", { tagTemplate: "{sha}" }, {}, "POLYARCH_E_BAD_TEMPLATE"],
    ["a --build-arg without =", { buildArgs: ["VERSION"] }, {}, "POLYARCH_E_BAD_BUILD_ARG"],
    ["a --label without =", { labels: ["=x"] }, {}, "POLYARCH_E_BAD_BUILD_ARG"],
    ["no --image", { image: "" }, {}, "POLYARCH_E_BAD_FLAG"],
    ["an --image with a tag", { image: "registry.example.com/app:1" }, {}, "POLYARCH_E_BAD_FLAG"],
  ])("refuses %s as bad input", (_, extra, factsExtra, code) => {
    const error = thrown(() => planBuild(options(extra), facts(factsExtra)));
    expect(error.code).toBe(code);
    expect(error.kind).toBe("input");
  });
});

describe("the source date epoch", () => {
  it("comes from --source-date-epoch, else SOURCE_DATE_EPOCH, else there is none", () => {
    const env = { ...ci, SOURCE_DATE_EPOCH: "1700000000" };
    expect(planBuild(options({ sourceDateEpoch: "0" }), facts({ env })).sourceDateEpoch).toBe(0);
    // GitLab's CI_COMMIT_TIMESTAMP, with its zone.
    const commit = options({ sourceDateEpoch: "2023-11-14T23:13:20+01:00" });
    expect(planBuild(commit, facts({ env })).sourceDateEpoch).toBe(1_700_000_000);
    expect(planBuild(options(), facts({ env })).sourceDateEpoch).toBe(1_700_000_000);
    expect(planBuild(options(), facts({ env: { ...ci, SOURCE_DATE_EPOCH: "" } }))).not.toHaveProperty(
      "sourceDateEpoch",
    );
    expect(planBuild(options(), facts())).not.toHaveProperty("sourceDateEpoch");
  });

  it.each([
    [{ sourceDateEpoch: "yesterday" }, {}, '--source-date-epoch "yesterday"'],
    [{ sourceDateEpoch: "-1" }, {}, '--source-date-epoch "-1"'],
    [{ sourceDateEpoch: "" }, {}, '--source-date-epoch ""'],
    [{}, { SOURCE_DATE_EPOCH: "1.5" }, 'SOURCE_DATE_EPOCH "1.5"'],
    [{}, { SOURCE_DATE_EPOCH: "1700000000000" }, 'SOURCE_DATE_EPOCH "1700000000000"'],
    [{ sourceDateEpoch: "2023-11-15T00:13:20" }, {}, '--source-date-epoch "2023-11-15T00:13:20"'],
    [{}, { SOURCE_DATE_EPOCH: "2023-11-15T00:13:20Z" }, 'SOURCE_DATE_EPOCH "2023-11-15T00:13:20Z"'],
  ])("refuses %j %j as input, naming where it came from", (given, env, named) => {
    const error = thrown(() => planBuild(options(given), facts({ env: { ...ci, ...env } })));
    expect(error).toMatchObject({ code: "POLYARCH_E_BAD_FLAG", kind: "input" });
    const forms = named.startsWith("--") ? ", or a time with its zone such as $CI_COMMIT_TIMESTAMP" : "";
    expect((error as Error).message).toBe(
      `${named} is not a number of seconds since 1970-01-01 (0 to 253402300799)${forms}`,
    );
  });

  it("warns that Kaniko can only pin timestamps to 0", () => {
    const kaniko = facts({ builders: { present: ["kaniko"], overlayUsable: true } });
    expect(planBuild(options({ sourceDateEpoch: "0" }), kaniko).warnings).toEqual([]);
    expect(planBuild(options({ sourceDateEpoch: "1700000000" }), kaniko).warnings).toEqual([
      "Kaniko's --reproducible pins every timestamp to 1970-01-01, not to the source date epoch 1700000000",
    ]);
  });
});

describe("--push-with", () => {
  it("is the builder by default, or polyarch", () => {
    expect(planBuild(options(), facts()).pushWith).toBe("builder");
    expect(planBuild(options({ pushWith: "polyarch" }), facts()).pushWith).toBe("polyarch");
  });

  it("refuses anything else as input, naming it", () => {
    const error = thrown(() => planBuild(options({ pushWith: "kaniko" }), facts()));
    expect(error).toMatchObject({ code: "POLYARCH_E_BAD_FLAG", kind: "input" });
    expect((error as Error).message).toBe('--push-with "kaniko" is not builder or polyarch');
  });
});
