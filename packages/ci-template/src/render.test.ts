import { parseYamlText } from "@polyarch/spec";
import { describe, expect, it } from "vitest";
import { buildTemplateOptions } from "./options.ts";
import { renderBuildTemplate, renderScheduleTemplate } from "./render.ts";
import { validateCiSchema } from "./schema.ts";

function parsed(text: string): Record<string, Record<string, unknown>> {
  const result = parseYamlText(text);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value as Record<string, Record<string, unknown>>;
}

describe("renderBuildTemplate", () => {
  it("renders the runner-tags topology: one tagged hidden job per platform, a merge by dotenv", () => {
    const { content, warnings } = renderBuildTemplate(buildTemplateOptions({}));
    expect(content).toMatchSnapshot();
    expect(content.endsWith("\n")).toBe(true);
    expect(validateCiSchema(parsed(content))).toEqual([]);
    const jobs = parsed(content);
    expect(jobs[".polyarch-build-arm64"]).toEqual({
      extends: ".polyarch-build",
      tags: ["runner-arm64"],
      variables: { POLYARCH_PLATFORM: "linux/arm64" },
    });
    expect(jobs[".polyarch-build"]!.needs).toEqual([]);
    expect(jobs[".polyarch-build"]!.artifacts).toEqual({ reports: { dotenv: "build.env" } });
    expect(String((jobs[".polyarch-merge"]!.script as string[])[0])).toContain(
      "polyarch merge --from-env --platforms linux/amd64,linux/arm64",
    );
    expect(warnings).toEqual([expect.stringContaining("not pinned by digest")]);
  });

  it("renders the node-selector topology: one runner tag, the architecture as a node selector", () => {
    const { content } = renderBuildTemplate(
      buildTemplateOptions({ topology: "node-selector", platforms: "linux/amd64,linux/arm64,linux/arm/v7" }),
    );
    expect(content).toMatchSnapshot();
    expect(validateCiSchema(parsed(content))).toEqual([]);
    expect(parsed(content)[".polyarch-build-arm-v7"]).toEqual({
      extends: ".polyarch-build",
      tags: ["k8s-multiarch"],
      variables: {
        KUBERNETES_NODE_SELECTOR_ARCH: "kubernetes.io/arch=arm",
        POLYARCH_PLATFORM: "linux/arm/v7",
      },
    });
  });

  it("renders stages instead of needs: [], the builder named, and a tool image pinned by digest as given", () => {
    const pinned = `registry.example.com/ci/polyarch:0.1@sha256:${"a".repeat(64)}`;
    const { content, warnings } = renderBuildTemplate(
      buildTemplateOptions({
        stages: "build,publish",
        builder: "buildah",
        toolImage: pinned,
        runnerTag: "{arch}",
      }),
    );
    const jobs = parsed(content);
    expect(jobs[".polyarch-build"]).toMatchObject({ image: pinned, stage: "build" });
    expect(jobs[".polyarch-build"]!.needs).toBeUndefined();
    expect(jobs[".polyarch-merge"]).toMatchObject({ image: pinned, stage: "publish" });
    expect(String((jobs[".polyarch-build"]!.script as string[])[0])).toContain("--builder buildah");
    expect(jobs[".polyarch-build-amd64"]!.tags).toEqual(["amd64"]);
    expect(warnings).toEqual([]);
    expect(validateCiSchema(jobs)).toEqual([]);
  });

  it("is deterministic: the same options give the same bytes", () => {
    const options = { topology: "node-selector", platforms: "linux/arm64,linux/amd64" };
    expect(renderBuildTemplate(buildTemplateOptions(options)).content).toBe(
      renderBuildTemplate(buildTemplateOptions(options)).content,
    );
  });

  it.each([
    [{ topology: "vm" }, /--topology "vm" is not valid/],
    [{ builder: "docker" }, /--builder "docker" is not valid/],
    [{ runnerTag: "builders" }, /has no \{arch\}/],
    [{ topology: "node-selector", runnerTag: "k8s-{arch}" }, /has \{arch\}/],
    [{ platforms: "linux/amd64,linux/x86_64" }, /names the same platform/],
    [{ stages: "build" }, /is not BUILD,MERGE/],
    [{ toolImage: "Not A Reference" }, /./],
  ])("refuses bad flags %o with an input error (exit 2)", (flags, message) => {
    let caught: unknown;
    try {
      buildTemplateOptions(flags);
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toMatchObject({ message: expect.stringMatching(message) });
    expect((caught as { code: string }).code).toMatch(
      /^POLYARCH_E_(BAD_FLAG|BAD_REFERENCE|DUPLICATE_PLATFORM)$/,
    );
  });
});

describe("renderScheduleTemplate", () => {
  it("renders sync and helper refresh jobs for scheduled pipelines, sharded with parallel: N", () => {
    const { content } = renderScheduleTemplate({ toolImage: "registry.example.com/polyarch:0.1", shards: 4 });
    expect(content).toMatchSnapshot();
    const jobs = parsed(content);
    expect(validateCiSchema(jobs)).toEqual([]);
    expect(jobs[".polyarch-scheduled"]!.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "schedule"' }]);
    expect(jobs[".polyarch-sync"]!.parallel).toBe(4);
    expect(String((jobs[".polyarch-sync"]!.script as string[])[0])).toContain(
      '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"',
    );
  });

  it("renders one unsharded sync job when shards is 1", () => {
    const jobs = parsed(
      renderScheduleTemplate({ toolImage: "polyarch:0.1", shards: 1, stage: "mirror" }).content,
    );
    expect(jobs[".polyarch-sync"]!.parallel).toBeUndefined();
    expect(String((jobs[".polyarch-sync"]!.script as string[])[0])).not.toContain("--shard");
    expect(jobs[".polyarch-scheduled"]!.stage).toBe("mirror");
  });
});

describe("a tool image named by CI variables", () => {
  it("is rendered as written (GitLab expands it) and warned about as unpinned", () => {
    const { content, warnings } = renderBuildTemplate(
      buildTemplateOptions({ toolImage: "$CI_REGISTRY_IMAGE/polyarch:latest" }),
    );
    expect(parsed(content)[".polyarch-merge"]!.image).toBe("$CI_REGISTRY_IMAGE/polyarch:latest");
    expect(warnings).toEqual([expect.stringContaining("not pinned by digest")]);
  });
});
