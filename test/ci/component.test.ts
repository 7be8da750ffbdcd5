import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Registry, TempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import {
  expectMultiArchIndex,
  indexPlatforms,
  pipelineFailure,
  pipelineProject,
  ROOT,
  readText,
  registryWithBusyboxBase,
  runEmulatedPipeline,
  writeText,
} from "./support.ts";

// A project whose whole multi-arch pipeline is one `include: component:` of multi-arch-image, run by
// gitlab-ci-local (shell executor), which resolves $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA
// to the project's own templates/ offline, as GitLab does in a component project's own pipeline. The
// committed templates/ are copied in. The arm64 matrix job builds emulated (this machine is amd64): the
// test sets POLYARCH_BUILD_FLAGS=--emulate for the pipeline, which the amd64 job ignores.
let registry: Registry;
const dirs: TempDir[] = [];

beforeAll(async () => {
  registry = await registryWithBusyboxBase();
});

afterAll(async () => {
  await registry?.stop();
  for (const dir of dirs) await dir.remove();
});

/** examples/pipeline's Dockerfile and hello.sh, this repository's templates/, and `ciYaml` as .gitlab-ci.yml. */
async function componentProject(ciYaml: string) {
  const work = await pipelineProject("examples/pipeline");
  dirs.push(work.dir);
  await cp(join(ROOT, "templates"), join(work.project, "templates"), { recursive: true });
  await writeText(join(work.project, ".gitlab-ci.yml"), ciYaml);
  return work;
}

async function runPipeline(work: { project: string; env: Record<string, string> }) {
  const run = await runEmulatedPipeline(work, registry);
  if (run.code !== 0) throw new Error(pipelineFailure(run.output));
  return run;
}

async function expectMultiArch(work: { dir: TempDir }, index: string, name: string) {
  await expectMultiArchIndex(index, join(work.dir.path, `pulled-${name}`));
}

const baseArg = () => `BASE_IMAGE=${registry.host}/base/busybox:1`;

describe("the multi-arch-image component under gitlab-ci-local", () => {
  it("runner-tags: one include builds each architecture and merges them; the index serves each its own binaries", async () => {
    const work = await componentProject(
      [
        "include:",
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/multi-arch-image@$CI_COMMIT_SHA",
        "    inputs:",
        "      image: $CI_REGISTRY_IMAGE/hello",
        `      build-args: ["${baseArg()}"]`,
        "      extra-tags: [latest]",
        "",
      ].join("\n"),
    );
    const check = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: work.project });
    expect(check.stderr).toBe("");
    expect(check.stdout).toContain("templates/multi-arch-image.yml");
    const run = await runPipeline(work);
    expect(run.output).toContain("image-build: [amd64]");
    expect(run.output).toMatch(/emulated/);
    await expectMultiArch(work, `${registry.host}/team/hello:e2e1`, "tags");
    expect(await indexPlatforms(`${registry.host}/team/hello:latest`)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
  }, 600_000);

  it("node-selector and two images: two includes with their own job prefixes, both merged", async () => {
    const include = (name: string) =>
      [
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/multi-arch-image@$CI_COMMIT_SHA",
        "    inputs:",
        `      image: $CI_REGISTRY_IMAGE/${name}`,
        `      job-prefix: ${name}-`,
        "      topology: node-selector",
        "      runner-tag: k8s-multiarch",
        `      build-args: ["${baseArg()}"]`,
      ].join("\n");
    const work = await componentProject(`include:\n${include("hello")}\n${include("world")}\n`);
    const check = await polyarch(
      ["ci", "check", ".gitlab-ci.yml", "--fleet", join(ROOT, "examples/fleet.yaml")],
      { cwd: work.project },
    );
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    const run = await runPipeline(work);
    expect(run.output).toContain("world-merge");
    await expectMultiArch(work, `${registry.host}/team/hello:e2e1`, "hello");
    await expectMultiArch(work, `${registry.host}/team/world:e2e1`, "world");
  }, 900_000);
});

describe("the write-ups' two pipelines as the README rewrites them, under gitlab-ci-local", () => {
  /**
   * The README's "After" block at `index`, made runnable here: the component is the project's own at this
   * commit, Buildah stands in for Kaniko (not installed here), the harness registry for ECR, and the
   * example Dockerfile's BASE_IMAGE is added to the build arguments.
   */
  async function readmeInclude(index: number): Promise<string> {
    const readme = await readText(join(ROOT, "README.md"));
    const section = readme.slice(readme.indexOf("### The write-ups' pipelines, as one include"));
    const block = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)][index]?.[1];
    expect(block).toContain("builder: kaniko");
    const runnable = block!
      .replace(
        "$CI_SERVER_FQDN/polyarch/polyarch/multi-arch-image@1.0.0",
        "$CI_SERVER_FQDN/$CI_PROJECT_PATH/multi-arch-image@$CI_COMMIT_SHA",
      )
      .replace("builder: kaniko", "builder: buildah")
      .replace("123456789012.dkr.ecr.eu-central-1.amazonaws.com/image", "$CI_REGISTRY_IMAGE/image");
    return runnable.includes("build-args: [")
      ? runnable.replace("build-args: [", `build-args: ["${baseArg()}", `)
      : runnable.replace("builder: buildah", `builder: buildah\n      build-args: ["${baseArg()}"]`);
  }

  it("Kaniko on a runner per architecture, merged by manifest-tool: one include", async () => {
    const ciYaml = await readmeInclude(0);
    const work = await componentProject(ciYaml);
    const check = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: work.project });
    expect(check.stderr).toBe("");
    await runPipeline(work);
    await expectMultiArch(work, `${registry.host}/team/image:e2e1`, "writeup1");
  }, 600_000);

  it("one multi-arch runner with node selectors, a build context, build args and extra tags: one include", async () => {
    const ciYaml = await readmeInclude(1);
    expect(ciYaml).toContain("topology: node-selector");
    const work = await componentProject(ciYaml);
    await mkdir(join(work.project, "docker-files/php"), { recursive: true });
    for (const file of ["Dockerfile", "hello.sh"])
      await cp(join(work.project, file), join(work.project, "docker-files/php", file));
    const check = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: work.project });
    expect(check.stderr).toBe("");
    const run = await runPipeline(work);
    expect(run.output).toContain("php-build: [arm64]");
    await expectMultiArch(work, `${registry.host}/team/php:latest`, "writeup2");
    expect(await indexPlatforms(`${registry.host}/team/php:8.2-fpm-alpine`)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
  }, 600_000);
});

describe("the merge component under gitlab-ci-local", () => {
  it("merges a project's own build jobs by manifest-tool's tag template, as the drop-in for its merge step", async () => {
    // The project's build jobs stand in for its Kaniko jobs: they push image:ARCH-SHA and no dotenv.
    const buildJob = (arch: string, flags: string) =>
      [
        `build-${arch}:`,
        "  stage: build",
        "  script:",
        `    - polyarch build --image "$CI_REGISTRY_IMAGE/image" --tag-template "{arch}-$CI_COMMIT_SHORT_SHA" --build-arg "${baseArg()}" ${flags} $POLYARCH_BUILD_FLAGS`,
      ].join("\n");
    const work = await componentProject(
      [
        "include:",
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/merge@$CI_COMMIT_SHA",
        "    inputs:",
        "      needs: [build-amd64, build-arm64]",
        "      template: $CI_REGISTRY_IMAGE/image:ARCH-$CI_COMMIT_SHORT_SHA",
        "      target: $CI_REGISTRY_IMAGE/image:$CI_COMMIT_SHORT_SHA",
        "      extra-tags: [v1]",
        buildJob("amd64", "--platform linux/amd64"),
        buildJob("arm64", "--platform linux/arm64"),
        "",
      ].join("\n"),
    );
    const check = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: work.project });
    expect(check.stderr).toBe("");
    const run = await runPipeline(work);
    expect(run.output).toContain("merge");
    await expectMultiArch(work, `${registry.host}/team/image:e2e1`, "merge-template");
    expect(await indexPlatforms(`${registry.host}/team/image:v1`)).toEqual(["linux/amd64", "linux/arm64"]);
  }, 600_000);
});
