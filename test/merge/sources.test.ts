import { argumentSources, parseAnnotations, parseMergeSpec, templateSources } from "@polyarch/merge";
import { formatReference } from "@polyarch/oci";
import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";

function texts(sources: Array<{ text: string }>): string[] {
  return sources.map((s) => s.text);
}

describe("templateSources (--platforms with --template)", () => {
  it("makes one source per platform, in the order given, with the platform stated", () => {
    const sources = templateSources("linux/arm64, linux/amd64", "reg.example:5000/team/app:ARCH-abc");
    expect(texts(sources)).toEqual([
      "reg.example:5000/team/app:arm64-abc",
      "reg.example:5000/team/app:amd64-abc",
    ]);
    expect(sources.map((s) => s.platform)).toEqual([
      { os: "linux", architecture: "arm64" },
      { os: "linux", architecture: "amd64" },
    ]);
    expect(formatReference(sources[0]?.reference ?? fail())).toBe("reg.example:5000/team/app:arm64-abc");
  });

  it("replaces manifest-tool's words once each, in the order ARCH, OS, VARIANT", () => {
    const sources = templateSources("linux/arm/v7,windows/amd64", "reg.example/OS/app:ARCH-OS-ARCHVARIANT");
    expect(texts(sources)).toEqual([
      "reg.example/linux/app:arm-OS-ARCHv7",
      "reg.example/windows/app:amd64-OS-ARCH",
    ]);
  });

  it("replaces every brace placeholder", () => {
    const sources = templateSources(
      "linux/amd64,linux/arm/v7",
      "reg.example/{os}-{arch}/app:{arch}{variant}-{os}",
    );
    expect(texts(sources)).toEqual([
      "reg.example/linux-amd64/app:amd64-linux",
      "reg.example/linux-arm/app:armv7-linux",
    ]);
  });

  it("fills placeholders with the platform as written, as manifest-tool does, and states it normalized", () => {
    // `arm64v8` tags are common; normalizing linux/arm64/v8 to linux/arm64 first would read `app:arm64`.
    const sources = templateSources("linux/arm64/v8,linux/x86_64", "reg.example/app:ARCHVARIANT");
    expect(texts(sources)).toEqual(["reg.example/app:arm64v8", "reg.example/app:x86_64"]);
    expect(sources.map((s) => s.platform)).toEqual([
      { os: "linux", architecture: "arm64" },
      { os: "linux", architecture: "amd64" },
    ]);
    expect(texts(templateSources("linux/arm64/v8", "reg.example/app:{arch}{variant}"))).toEqual([
      "reg.example/app:arm64v8",
    ]);
  });

  it("refuses a template without a placeholder", () => {
    const error = thrown(() => templateSources("linux/amd64,linux/arm64", "reg.example/app:1.4"));
    expect(error).toMatchObject({ code: "POLYARCH_E_BAD_TEMPLATE" });
    expect(error.message).toContain("reg.example/app:1.4");
  });

  it("refuses duplicate platforms, also when they are only equal once normalized", () => {
    expect(thrown(() => templateSources("linux/amd64,linux/amd64", "r.example/a:{arch}"))).toMatchObject({
      code: "POLYARCH_E_DUPLICATE_PLATFORM",
      kind: "input",
    });
    const error = thrown(() => templateSources("linux/arm64,linux/arm64/v8", "r.example/a:{arch}{variant}"));
    expect(error).toMatchObject({ code: "POLYARCH_E_DUPLICATE_PLATFORM" });
    expect(error.message).toContain("linux/arm64/v8");
  });

  it("refuses an empty platform list and a malformed platform", () => {
    for (const list of ["", " , ,"]) {
      const error = thrown(() => templateSources(list, "r.example/a:{arch}"));
      expect(error).toMatchObject({ code: "POLYARCH_E_BAD_PLATFORM" });
      expect(error.message).toContain("empty");
    }
    expect(thrown(() => templateSources("linux", "r.example/a:{arch}"))).toMatchObject({
      code: "POLYARCH_E_BAD_PLATFORM",
      kind: "input",
    });
  });

  it("refuses a template that gives two platforms the same source", () => {
    const error = thrown(() => templateSources("linux/amd64,windows/amd64", "r.example/a:ARCH"));
    expect(error).toMatchObject({ code: "POLYARCH_E_DUPLICATE_SOURCE" });
    expect(error.message).toContain("r.example/a:amd64");
  });

  it("refuses a template that expands to a malformed reference, naming it", () => {
    const error = thrown(() => templateSources("linux/amd64", "r.example/App:{arch}"));
    expect(error).toMatchObject({});
    expect(error.message).toContain("r.example/App:amd64");
  });
});

describe("argumentSources (SRC or SRC=os/arch[/variant])", () => {
  it("keeps the order and states a platform only where one is given", () => {
    const sources = argumentSources([
      "r.example/a:amd64",
      "r.example/a@sha256:" + "a".repeat(64) + "=linux/arm/v7",
      "oci:/tmp/layout:arm64",
    ]);
    expect(texts(sources)).toEqual([
      "r.example/a:amd64",
      `r.example/a@sha256:${"a".repeat(64)}`,
      "oci:/tmp/layout:arm64",
    ]);
    expect(sources.map((s) => s.platform)).toEqual([
      undefined,
      { os: "linux", architecture: "arm", variant: "v7" },
      undefined,
    ]);
    expect(sources[2]?.reference).toMatchObject({ kind: "layout", path: "/tmp/layout", tag: "arm64" });
  });

  it("refuses no sources, duplicates, duplicate platforms and malformed values as bad input", () => {
    expect(thrown(() => argumentSources([]))).toMatchObject({ code: "POLYARCH_E_NO_SOURCES" });
    expect(thrown(() => argumentSources(["r.example/a:1", "r.example/a:1"]))).toMatchObject({
      code: "POLYARCH_E_DUPLICATE_SOURCE",
    });
    const duplicate = thrown(() =>
      argumentSources(["r.example/a:1=linux/arm64", "r.example/b:1=linux/arm64/v8"]),
    );
    expect(duplicate).toMatchObject({ code: "POLYARCH_E_DUPLICATE_PLATFORM" });
    expect(duplicate.message).toContain("r.example/a:1");
    expect(duplicate.message).toContain("r.example/b:1");
    expect(thrown(() => argumentSources(["r.example/a:1=linux"]))).toMatchObject({
      code: "POLYARCH_E_BAD_PLATFORM",
      kind: "input",
    });
    const malformed = thrown(() => argumentSources(["r.example/a:bad:tag"]));
    expect(malformed).toMatchObject({});
    expect(malformed.message).toContain("r.example/a:bad:tag");
  });
});

describe("parseAnnotations (--annotation)", () => {
  it("sorts KEY=VALUE to the index and os/arch:KEY=VALUE to that platform's entry", () => {
    expect(
      parseAnnotations([
        "org.opencontainers.image.source=https://gitlab.example/app",
        "linux/arm64:org.example.note=a=b",
        "com.example:plain=x",
      ]),
    ).toEqual({
      index: { "org.opencontainers.image.source": "https://gitlab.example/app", "com.example:plain": "x" },
      descriptors: [
        { platform: { os: "linux", architecture: "arm64" }, key: "org.example.note", value: "a=b" },
      ],
    });
  });

  it("refuses a value without KEY=", () => {
    for (const value of ["novalue", "=x"]) {
      const error = thrown(() => parseAnnotations([value]));
      expect(error).toMatchObject({ code: "POLYARCH_E_BAD_ANNOTATION" });
      expect(error.message).toContain(value);
    }
  });
});

describe("parseMergeSpec (manifest-tool from-spec YAML)", () => {
  const valid = [
    "image: r.example/app:1.4",
    "tags: [latest, '1']",
    "annotations:",
    "  org.opencontainers.image.source: https://gitlab.example/app",
    "manifests:",
    "  - image: r.example/app:1.4-arm",
    "    platform: { os: linux, architecture: arm, variant: v7 }",
    "  - image: r.example/app:1.4-amd64",
    "    platform:",
    "      os: linux",
    "      architecture: amd64",
    "  - image: r.example/app:1.4-any",
    "",
  ].join("\n");

  it("reads target, tags, annotations and the sources in order", () => {
    const spec = parseMergeSpec(valid, "spec.yaml");
    expect(spec.image).toBe("r.example/app:1.4");
    expect(spec.tags).toEqual(["latest", "1"]);
    expect(spec.annotations).toEqual({ "org.opencontainers.image.source": "https://gitlab.example/app" });
    expect(texts(spec.sources)).toEqual([
      "r.example/app:1.4-arm",
      "r.example/app:1.4-amd64",
      "r.example/app:1.4-any",
    ]);
    expect(spec.sources.map((s) => s.platform)).toEqual([
      { os: "linux", architecture: "arm", variant: "v7" },
      { os: "linux", architecture: "amd64" },
      undefined,
    ]);
  });

  it("names an unknown key at every level and the closest valid one, collecting every problem", () => {
    const text = [
      "image: r.example/app:1.4",
      "tag: [latest]",
      "manifests:",
      "  - image: r.example/app:1.4-amd64",
      "    platfrom: { os: linux, architecture: amd64 }",
      "  - image: r.example/app:1.4-arm64",
      "    platform: { os: linux, architechture: arm64 }",
    ].join("\n");
    const error = thrown(() => parseMergeSpec(text, "ci/manifest.yaml"));
    expect(error).toMatchObject({ code: "POLYARCH_E_BAD_SPEC" });
    expect(error.message).toContain("ci/manifest.yaml");
    expect(error.message).toMatch(/^ {2}tag: unknown key; did you mean "tags"\?/m);
    expect(error.message).toMatch(/manifests\[0\]\.platfrom: unknown key; did you mean "platform"\?/);
    expect(error.message).toMatch(
      /manifests\[1\]\.platform\.architechture: unknown key; did you mean "architecture"\?/,
    );
    expect(error.message).toContain("manifests[1].platform.architecture: is required (a string)");
  });

  it("requires the target and at least one source", () => {
    const error = thrown(() => parseMergeSpec("tags: [x]\n", "s.yaml"));
    expect(error).toMatchObject({ code: "POLYARCH_E_BAD_SPEC" });
    expect(error.message).toContain("image: is required (a string)");
    expect(error.message).toContain("manifests: is required (a list)");
    const empty = thrown(() => parseMergeSpec("image: r.example/a:1\nmanifests: []\n", "s.yaml"));
    expect(empty.message).toContain("manifests: list at least one source image");
  });

  it("refuses YAML that does not parse and malformed references", () => {
    expect(thrown(() => parseMergeSpec("image: [unclosed\n", "s.yaml"))).toMatchObject({
      code: "POLYARCH_E_BAD_SPEC",
      kind: "input",
    });
    const bad = thrown(() =>
      parseMergeSpec("image: r.example/a:1\nmanifests:\n  - image: 'Bad Ref'\n", "s.yaml"),
    );
    expect(bad.message).toContain("manifests[0].image");
  });

  it("reads scalars as text, keeps the platform as written, and leaves repeated stated platforms to the plan", () => {
    // From manifest-tool's hack/pushml.yaml: `architecture: 386`, `variant: v8`, and two windows/amd64
    // entries that only their configs' OS versions tell apart.
    const spec = parseMergeSpec(
      [
        "image: r.example/mt:1.10",
        "tags: [ 1.10, latest ]",
        "annotations: { org.example.n: 42 }",
        "manifests:",
        "  - { image: r.example/mt:linux_i386, platform: { architecture: 386, os: linux } }",
        "  - { image: r.example/mt:linux_arm64, platform: { architecture: arm64, os: linux, variant: v8 } }",
        "  - { image: r.example/mt:win2019, platform: { architecture: amd64, os: windows } }",
        "  - { image: r.example/mt:win2016, platform: { architecture: amd64, os: windows, osversion: 10.0 } }",
      ].join("\n"),
      "pushml.yaml",
    );
    expect(spec.tags).toEqual(["1.10", "latest"]);
    expect(spec.annotations).toEqual({ "org.example.n": "42" });
    expect(spec.sources.map((s) => s.written)).toEqual([
      { os: "linux", architecture: "386" },
      { os: "linux", architecture: "arm64", variant: "v8" },
      { os: "windows", architecture: "amd64" },
      { os: "windows", architecture: "amd64", "os.version": "10.0" },
    ]);
    expect(spec.sources[1]?.platform).toEqual({ os: "linux", architecture: "arm64" });
  });
});

function fail(): never {
  throw new Error("missing value");
}
