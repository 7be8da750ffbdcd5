import { createHash } from "node:crypto";
import { digestOf, encodeJson, MediaType, type Platform } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { planMerge } from "./plan.ts";
import type { DescriptorAnnotation, IndexType, MergeRules } from "./request.ts";
import type { ResolvedSource } from "./resolve.ts";

interface SourceOptions {
  text: string;
  config: { os: string; architecture: string; variant?: string; "os.version"?: string };
  stated?: Platform;
  written?: Platform;
  mediaType?: string;
  attestations?: ResolvedSource["attestations"];
}

function source(options: SourceOptions): ResolvedSource {
  const mediaType = options.mediaType ?? MediaType.OciManifest;
  const bytes = encodeJson({ schemaVersion: 2, mediaType, note: options.text });
  const manifest = { bytes, mediaType, digest: digestOf(bytes) };
  return {
    spec: {
      text: options.text,
      reference: { kind: "registry", registry: "r.example", repository: "app", tag: options.text },
      ...(options.stated && { platform: options.stated }),
      ...(options.written && { written: options.written }),
    },
    manifest,
    image: {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: MediaType.OciConfig, digest: digestOf(encodeJson({})), size: 2 },
      layers: [],
    },
    config: options.config,
    attestations: options.attestations ?? [],
  } as ResolvedSource;
}

/** An attestation of a source, as resolveSource reads it: its index entry and its manifest. */
function attestation(
  note: string,
  annotations?: Record<string, string>,
): ResolvedSource["attestations"][number] {
  const bytes = encodeJson({ schemaVersion: 2, note });
  const descriptor = {
    mediaType: MediaType.OciManifest,
    digest: digestOf(bytes),
    size: bytes.length,
    platform: { os: "unknown", architecture: "unknown" },
    ...(annotations && { annotations }),
  };
  return { descriptor, manifest: { bytes, mediaType: MediaType.OciManifest, digest: descriptor.digest } };
}

function request(
  options: {
    type?: IndexType;
    index?: Record<string, string>;
    descriptors?: DescriptorAnnotation[];
    rules?: MergeRules;
  } = {},
) {
  return {
    ...(options.type && { type: options.type }),
    ...(options.rules && { rules: options.rules }),
    indexAnnotations: options.index ?? {},
    descriptorAnnotations: options.descriptors ?? [],
  };
}

function caught(run: () => unknown): Error & { code?: string; kind?: string } {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected an error");
}

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

describe("planMerge", () => {
  it("lists the sources in the order given, each as its config's platform, in bytes that hash to the digest", () => {
    const sources = [
      source({ text: "arm", config: arm64 }),
      source({ text: "amd", config: amd64, stated: amd64 }),
    ];
    const plan = planMerge(request(), sources);
    const index = JSON.parse(new TextDecoder().decode(plan.bytes));
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: sources.map((s) => ({
        mediaType: MediaType.OciManifest,
        digest: s.manifest.digest,
        size: s.manifest.bytes.length,
        platform: s.config,
      })),
    });
    // Hashed here with node:crypto, not with oci's digestOf, which the planner itself uses.
    expect(plan.digest).toBe(`sha256:${createHash("sha256").update(plan.bytes).digest("hex")}`);
    expect(plan.entries.map((e) => e.source.spec.text)).toEqual(["arm", "amd"]);
  });

  it("gives identical bytes for identical inputs, and different ones when only the order differs", () => {
    const make = () => [source({ text: "a", config: amd64 }), source({ text: "b", config: arm64 })];
    const first = planMerge(request(), make());
    const second = planMerge(request(), make());
    expect(Buffer.from(second.bytes)).toEqual(Buffer.from(first.bytes));
    expect(planMerge(request(), make().reverse()).digest).not.toBe(first.digest);
  });

  it("normalizes the configured platform (arm64/v8 is arm64) and keeps os.version", () => {
    const plan = planMerge(request(), [
      source({ text: "a", config: { os: "linux", architecture: "arm64", variant: "v8" } }),
      source({
        text: "w",
        config: { os: "windows", architecture: "amd64", "os.version": "10.0.20348.2340" },
      }),
    ]);
    expect(plan.entries.map((e) => e.descriptor.platform)).toEqual([
      arm64,
      { os: "windows", architecture: "amd64", "os.version": "10.0.20348.2340" },
    ]);
  });

  it("writes platform keys in the order buildah, buildx and manifest-tool use, so digests agree", () => {
    const plan = planMerge(request(), [
      source({ text: "v7", config: { os: "linux", architecture: "arm", variant: "v7" } }),
      source({
        text: "w",
        config: { os: "windows", architecture: "amd64", "os.version": "10.0.20348.2340" },
      }),
    ]);
    const json = new TextDecoder().decode(plan.bytes);
    expect(json).toContain('"platform":{"architecture":"arm","os":"linux","variant":"v7"}');
    expect(json).toContain(
      '"platform":{"architecture":"amd64","os":"windows","os.version":"10.0.20348.2340"}',
    );
  });

  it("writes a Docker list's entries with size before digest, as docker manifest and buildah do", () => {
    const docker = { mediaType: MediaType.DockerManifest };
    const plan = planMerge(request(), [source({ text: "a", config: amd64, ...docker })]);
    const [entry] = JSON.parse(new TextDecoder().decode(plan.bytes)).manifests;
    expect(Object.keys(entry)).toEqual(["mediaType", "size", "digest", "platform"]);
    // OCI indexes keep the image spec's order (digest before size).
    const oci = planMerge(request({ type: "oci" }), [source({ text: "a", config: amd64, ...docker })]);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(oci.bytes)).manifests[0])).toEqual([
      "mediaType",
      "digest",
      "size",
      "platform",
    ]);
  });

  it("refuses a stated platform the config contradicts, naming source, stated and configured platform", () => {
    const error = caught(() =>
      planMerge(request(), [source({ text: "r.example/app:arm64", config: amd64, stated: arm64 })]),
    );
    expect(error).toMatchObject({ code: "POLYARCH_E_PLATFORM_MISMATCH", kind: "operation" });
    expect(error.message).toContain("r.example/app:arm64");
    expect(error.message).toContain("linux/arm64");
    expect(error.message).toContain("linux/amd64");
  });

  it("refuses a variant the config contradicts", () => {
    const error = caught(() =>
      planMerge(request(), [
        source({
          text: "armv6",
          config: { os: "linux", architecture: "arm", variant: "v7" },
          stated: { os: "linux", architecture: "arm", variant: "v6" },
        }),
      ]),
    );
    expect(error).toMatchObject({ code: "POLYARCH_E_PLATFORM_MISMATCH" });
    expect(error.message).toContain("linux/arm/v6");
    expect(error.message).toContain("linux/arm/v7");
  });

  it("refuses two sources of one platform and an empty source list", () => {
    const duplicate = caught(() =>
      planMerge(request(), [source({ text: "x", config: amd64 }), source({ text: "y", config: amd64 })]),
    );
    expect(duplicate).toMatchObject({ code: "POLYARCH_E_DUPLICATE_PLATFORM" });
    expect(duplicate.message).toMatch(/y and x|x and y/);
    expect(caught(() => planMerge(request(), []))).toMatchObject({ code: "POLYARCH_E_SOURCE_MISSING" });
  });

  it("makes a Docker manifest list only when every child is a Docker manifest and nothing is annotated", () => {
    const docker = (text: string, config: Platform) =>
      source({ text, config, mediaType: MediaType.DockerManifest });
    expect(planMerge(request(), [docker("a", amd64), docker("b", arm64)]).mediaType).toBe(
      MediaType.DockerManifestList,
    );
    expect(planMerge(request(), [docker("a", amd64), source({ text: "b", config: arm64 })]).mediaType).toBe(
      MediaType.OciIndex,
    );
    expect(planMerge(request({ index: { k: "v" } }), [docker("a", amd64)]).mediaType).toBe(
      MediaType.OciIndex,
    );
    expect(planMerge(request({ type: "oci" }), [docker("a", amd64)]).mediaType).toBe(MediaType.OciIndex);
  });

  it("refuses --type docker for OCI children and for annotations", () => {
    const oci = caught(() =>
      planMerge(request({ type: "docker" }), [source({ text: "oci-child", config: amd64 })]),
    );
    expect(oci).toMatchObject({ code: "POLYARCH_E_TYPE_MISMATCH" });
    expect(oci.message).toContain("oci-child");
    const docker = source({ text: "d", config: amd64, mediaType: MediaType.DockerManifest });
    expect(caught(() => planMerge(request({ type: "docker", index: { k: "v" } }), [docker]))).toMatchObject({
      code: "POLYARCH_E_TYPE_MISMATCH",
      kind: "input",
    });
  });

  it("puts index annotations on the index and platform annotations on that platform's entry only", () => {
    const plan = planMerge(
      request({
        index: { "org.example.a": "1" },
        descriptors: [{ platform: arm64, key: "org.example.b", value: "2" }],
      }),
      [source({ text: "a", config: amd64 }), source({ text: "b", config: arm64 })],
    );
    const index = JSON.parse(new TextDecoder().decode(plan.bytes));
    expect(index.annotations).toEqual({ "org.example.a": "1" });
    expect(index.manifests[0].annotations).toBeUndefined();
    expect(index.manifests[1].annotations).toEqual({ "org.example.b": "2" });
    const stray = caught(() =>
      planMerge(
        request({
          descriptors: [{ platform: { os: "linux", architecture: "s390x" }, key: "k", value: "v" }],
        }),
        [source({ text: "a", config: amd64 })],
      ),
    );
    expect(stray).toMatchObject({ code: "POLYARCH_E_BAD_ANNOTATION" });
    expect(stray.message).toContain("linux/s390x");
  });

  it("lists a kept attestation right after the image it attests", () => {
    const kept = attestation("attestation", { "vnd.docker.reference.type": "attestation-manifest" });
    const { descriptor } = kept;
    const attested = source({ text: "a", config: amd64, attestations: [kept] });
    const plan = planMerge(request(), [attested, source({ text: "b", config: arm64 })]);
    expect(plan.entries.map((e) => [e.descriptor.digest, e.attestation ?? false])).toEqual([
      [attested.manifest.digest, false],
      [descriptor.digest, true],
      [plan.entries[2]?.source.manifest.digest, false],
    ]);
    expect(caught(() => planMerge(request({ type: "docker" }), [attested]))).toMatchObject({
      code: "POLYARCH_E_TYPE_MISMATCH",
    });
  });
});

describe("planMerge: attestations and buildx's annotation types", () => {
  it("an attestation's vnd.docker.reference.digest names the image as the index lists it (a relabelled copy's digest)", () => {
    const original = `sha256:${"1".repeat(64)}`;
    const relabelled = source({
      text: "a",
      config: amd64,
      attestations: [
        attestation("attests the original", {
          "vnd.docker.reference.type": "attestation-manifest",
          "vnd.docker.reference.digest": original,
        }),
      ],
    });
    const plan = planMerge(request(), [relabelled]);
    expect(plan.entries[1]?.descriptor.annotations).toEqual({
      "vnd.docker.reference.type": "attestation-manifest",
      "vnd.docker.reference.digest": relabelled.manifest.digest,
    });
  });

  it("a manifest-descriptor annotation without a platform goes on every image entry, not on attestations", () => {
    const attested = source({ text: "a", config: amd64, attestations: [attestation("attestation")] });
    const plan = planMerge(request({ descriptors: [{ key: "k", value: "v" }] }), [
      attested,
      source({ text: "b", config: arm64 }),
    ]);
    expect(plan.entries.map((e) => e.descriptor.annotations)).toEqual([{ k: "v" }, undefined, { k: "v" }]);
  });
});

describe("planMerge under manifest-tool's rules (polyarch push)", () => {
  const entries = (plan: { bytes: Uint8Array }) =>
    JSON.parse(new TextDecoder().decode(plan.bytes)).manifests.map((m: { platform: unknown }) => m.platform);

  it("keeps a stated variant as written and takes a missing one, and the OS version, from the config", () => {
    const plan = planMerge(request({ rules: "manifest-tool" }), [
      source({ text: "arm64", config: arm64, stated: arm64, written: { ...arm64, variant: "v8" } }),
      source({
        text: "arm6",
        config: { os: "linux", architecture: "arm", variant: "v6" },
        stated: { os: "linux", architecture: "arm", variant: "v7" },
        written: { os: "linux", architecture: "arm" },
      }),
      source({
        text: "win",
        config: { os: "windows", architecture: "amd64", "os.version": "10.0.17763.1" },
        stated: { os: "windows", architecture: "amd64" },
      }),
    ]);
    expect(entries(plan)).toEqual([
      { architecture: "arm64", os: "linux", variant: "v8" },
      { architecture: "arm", os: "linux", variant: "v6" },
      { architecture: "amd64", os: "windows", "os.version": "10.0.17763.1" },
    ]);
  });

  it("tells two Windows images apart by OS version, and refuses two of one OS version", () => {
    const win = (text: string, version: string) =>
      source({
        text,
        config: { os: "windows", architecture: "amd64", "os.version": version },
        stated: { os: "windows", architecture: "amd64" },
      });
    for (const rules of ["merge", "manifest-tool"] as const) {
      const plan = planMerge(request({ rules }), [win("2019", "10.0.17763.1"), win("2016", "10.0.14393.2")]);
      expect(entries(plan)).toHaveLength(2);
      const error = caught(() => planMerge(request({ rules }), [win("a", "10.0.1"), win("b", "10.0.1")]));
      expect(error).toMatchObject({ code: "POLYARCH_E_DUPLICATE_PLATFORM" });
      expect(error.message).toContain("windows/amd64 10.0.1");
    }
  });

  it("writes a Docker manifest list by default, also over OCI children, warning about registries that refuse it", () => {
    const plan = planMerge(request({ rules: "manifest-tool" }), [
      source({ text: "oci-amd", config: amd64 }),
      source({ text: "docker-arm", config: arm64, mediaType: MediaType.DockerManifest }),
    ]);
    expect(plan.mediaType).toBe(MediaType.DockerManifestList);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain("oci-amd");
    expect(plan.warnings[0]).not.toContain("docker-arm");
    expect(plan.warnings[0]).toContain("quay.io");
    expect(plan.warnings[0]).toContain("--type oci");
    const oci = planMerge(request({ rules: "manifest-tool", type: "oci" }), [
      source({ text: "a", config: amd64 }),
    ]);
    expect(oci.mediaType).toBe(MediaType.OciIndex);
    expect(oci.warnings).toEqual([]);
  });

  it("refuses annotations on a Docker list, as manifest-tool does, naming --type oci", () => {
    const error = caught(() =>
      planMerge(request({ rules: "manifest-tool", index: { a: "b" } }), [
        source({ text: "a", config: amd64 }),
      ]),
    );
    expect(error).toMatchObject({ code: "POLYARCH_E_TYPE_MISMATCH", kind: "input" });
    expect((error as { hint?: string }).hint).toContain("--type oci");
  });

  it("still refuses a stated platform the config contradicts unless the source is marked statedWins", () => {
    const mislabelled = source({ text: "arm", config: amd64, stated: arm64 });
    expect(caught(() => planMerge(request({ rules: "manifest-tool" }), [mislabelled]))).toMatchObject({
      code: "POLYARCH_E_PLATFORM_MISMATCH",
    });
    mislabelled.statedWins = "mislabelled";
    expect(entries(planMerge(request({ rules: "manifest-tool" }), [mislabelled]))).toEqual([
      { architecture: "arm64", os: "linux" },
    ]);
    expect(entries(planMerge(request(), [mislabelled]))).toEqual([{ architecture: "arm64", os: "linux" }]);
  });
});
