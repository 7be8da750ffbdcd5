import { cp, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { runPolyarch } from "../support/process.ts";
import { commitProject, gitlabCiLocal, pipelineProject, ROOT, writeText } from "./support.ts";

// polyarch ci check reads `include: component:` of the project's own components (templates/ of the
// project dir, for $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA) or of a checkout given with
// --components-from, and refuses inputs the component's spec: inputs: refuses, before GitLab does: exit
// 2, naming the input. Run as a process through the built bin (packages/cli/bin/polyarch.js), whose
// bundle must carry GitLab's CI schema.
const dirs: TempDir[] = [];

afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

const OWN = "$CI_SERVER_FQDN/$CI_PROJECT_PATH";

/** A project with this repository's templates/ as its own components and `ciYaml` as .gitlab-ci.yml. */
async function project(ciYaml: string, templates: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir("polyarch-component-check-");
  dirs.push(dir);
  await mkdir(join(dir.path, "templates"), { recursive: true });
  for (const name of ["multi-arch-image", "merge"]) {
    await writeText(
      join(dir.path, "templates", `${name}.yml`),
      await readFile(join(ROOT, "templates", `${name}.yml`), "utf8"),
    );
  }
  for (const [name, text] of Object.entries(templates))
    await writeText(join(dir.path, "templates", name), text);
  await writeText(join(dir.path, ".gitlab-ci.yml"), ciYaml);
  return dir.path;
}

function include(component: string, inputs: string[]): string {
  return [
    "include:",
    `  - component: ${component}`,
    "    inputs:",
    ...inputs.map((line) => `      ${line}`),
    "",
  ].join("\n");
}

async function check(cwd: string, extra: string[] = []) {
  return await runPolyarch(["ci", "check", ".gitlab-ci.yml", ...extra], { cwd });
}

describe("polyarch ci check on include: component:", () => {
  it("passes the shortest include and the one with every kind of input", async () => {
    const shortest = await check(
      await project(`include:\n  - component: ${OWN}/multi-arch-image@$CI_COMMIT_SHA\n`),
    );
    expect(shortest.stderr).toBe("");
    expect(shortest.code).toBe(0);
    const full = await check(
      await project(
        include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, [
          "image: $CI_REGISTRY_IMAGE/app",
          "architectures: [amd64, arm64, riscv64]",
          "builder: kaniko",
          "build-args: [A=1]",
          "verify-binaries: false",
          "job-prefix: app-",
        ]),
      ),
    );
    expect(full.stderr).toBe("");
    expect(full.stdout).toContain("templates/multi-arch-image.yml");
  });

  it("an unknown input: exit 2, naming it and the closest input", async () => {
    const run = await check(
      await project(include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, ["architecture: [amd64]"])),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("inputs.architecture: unknown input; did you mean architectures?");
  });

  it("a wrong type: exit 2, naming the input and the type", async () => {
    const run = await check(
      await project(include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, ["architectures: amd64"])),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('inputs.architectures: "amd64" is not an array');
  });

  it("a value outside options: exit 2, naming the value and the options", async () => {
    const run = await check(
      await project(include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, ["builder: docker"])),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'inputs.builder: "docker" is not one of the options: buildah, kaniko, buildkit',
    );
  });

  it("a value the regex refuses: exit 2, naming the value and the regex", async () => {
    const run = await check(
      await project(include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, ["job-prefix: App_"])),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'inputs.job-prefix: "App_" does not match the component\'s regex ^[a-z0-9][a-z0-9_-]*$',
    );
  });

  it("a missing required input: exit 2, naming it", async () => {
    const run = await check(
      await project(include(`${OWN}/merge@$CI_COMMIT_SHA`, ["target: $CI_REGISTRY_IMAGE:v1"])),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("inputs.needs: required");
  });

  it("a regex RE2 and JavaScript may read differently is reported, not checked in JavaScript", async () => {
    const lookahead = [
      "spec:",
      "  inputs:",
      "    name:",
      "      description: a name",
      "      regex: ^(?!tmp).*$",
      "---",
      "job:",
      "  script:",
      "    - echo $[[ inputs.name ]]",
      "",
    ].join("\n");
    const run = await check(
      await project(include(`${OWN}/named@$CI_COMMIT_SHA`, ["name: release"]), { "named.yml": lookahead }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "inputs.name: the component's regex ^(?!tmp).*$ is not checked here: lookaround",
    );
  });

  it("another project's address is read from the checkout --components-from names", async () => {
    const dir = await project(
      include("gitlab.example.com/polyarch/polyarch/multi-arch-image@1.0.0", ["platforms: [linux/amd64]"]),
    );
    const without = await check(dir);
    expect(without.code).toBe(0);
    expect(without.stdout).toContain(
      "not checked: component gitlab.example.com/polyarch/polyarch/multi-arch-image@1.0.0 (give --components-from",
    );
    const run = await check(dir, ["--components-from", ROOT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("inputs.platforms: unknown input");
  });

  it("the merge job's needs are checked on the interpolated jobs: a merge component missing the build job", async () => {
    const ciYaml = [
      "include:",
      `  - component: ${OWN}/merge@$CI_COMMIT_SHA`,
      "    inputs:",
      "      needs: [app-amd64]",
      "      target: $CI_REGISTRY_IMAGE/app:$CI_COMMIT_SHORT_SHA",
      "variables:",
      "  POLYARCH_REPOSITORY: $CI_REGISTRY_IMAGE/app",
      "app-amd64:",
      "  script: [polyarch build --image $POLYARCH_REPOSITORY --dotenv build.env]",
      "  artifacts: { reports: { dotenv: build.env } }",
      "app-arm64:",
      "  script: [polyarch build --image $POLYARCH_REPOSITORY --dotenv build.env]",
      "  artifacts: { reports: { dotenv: build.env } }",
      "",
    ].join("\n");
    const run = await check(await project(ciYaml));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("merge.needs: misses build job app-arm64");
  });
});

describe("polyarch ci template --component", () => {
  it("refuses the inputs the component refuses, exit 2 naming each, and an unknown component", async () => {
    const run = await runPolyarch([
      "ci",
      "template",
      "--component",
      "multi-arch-image",
      "--input",
      "builder=docker",
      "--input",
      'architecture=["amd64"]',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--input builder: "docker" is not one of the options: buildah, kaniko, buildkit',
    );
    expect(run.stderr).toContain("--input architecture: unknown input; did you mean architectures?");
    expect(run.stdout).toBe("");
    const unknown = await runPolyarch(["ci", "template", "--component", "multiarch-image"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--component "multiarch-image" is not a component');
    expect(unknown.stderr).toContain("multi-arch-image, merge, helper-refresh, mirror-sync");
  });
});

describe("an input error under gitlab-ci-local and under ci check", () => {
  it("gitlab-ci-local 4.75.1 lists the pipeline with an unknown input; ci check refuses it, as GitLab does", async () => {
    const work = await pipelineProject();
    dirs.push(work.dir);
    await cp(join(ROOT, "templates"), join(work.project, "templates"), { recursive: true });
    await writeText(
      join(work.project, ".gitlab-ci.yml"),
      include(`${OWN}/multi-arch-image@$CI_COMMIT_SHA`, [
        "image: $CI_REGISTRY_IMAGE/app",
        "platforms: [linux/amd64]",
      ]),
    );
    await commitProject(work.project, work.env);
    const listed = await gitlabCiLocal(work.project, ["--list"], work.env);
    expect(listed.code).toBe(0);
    expect(listed.output).toContain("image-build");
    const run = await check(work.project);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("inputs.platforms: unknown input");
  }, 120_000);
});
