import { join } from "node:path";
import type { Registry, TempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import {
  commitProject,
  expectMultiArchIndex,
  gitlabCiLocal,
  pipelineFailure,
  pipelineProject,
  ROOT,
  readText,
  registryWithBusyboxBase,
  writeText,
} from "./support.ts";

// examples/pipeline/ run end to end by gitlab-ci-local (shell executor): two build jobs (polyarch build
// with Buildah; the arm64 one emulated through qemu binfmt, in this test only), then the merge job fed by
// their dotenv reports. Once with the generated runner-tags template, once with node-selector.
let registry: Registry;
const dirs: TempDir[] = [];

beforeAll(async () => {
  registry = await registryWithBusyboxBase();
});

afterAll(async () => {
  await registry?.stop();
  for (const dir of dirs) await dir.remove();
});

/**
 * The example project, its template regenerated with `templateFlags`, plus a test-only include that
 * points the Dockerfile at the harness's base image and makes the arm64 job build emulated: this machine
 * is amd64, and a real fleet would run that job on an arm64 runner.
 */
async function runExample(templateFlags: string[]) {
  const work = await pipelineProject("examples/pipeline");
  dirs.push(work.dir);
  const template = await polyarch([
    "ci",
    "template",
    ...templateFlags,
    "--out",
    join(work.project, "ci/polyarch.yml"),
  ]);
  expect(template.code).toBe(0);
  const baseArg = `--build-arg BASE_IMAGE=${registry.host}/base/busybox:1`;
  await writeText(
    join(work.project, "ci/test-overrides.yml"),
    [
      "hello-amd64:",
      `  variables: { POLYARCH_BUILD_FLAGS: "${baseArg}" }`,
      "hello-arm64:",
      `  variables: { POLYARCH_BUILD_FLAGS: "${baseArg} --platform linux/arm64 --emulate" }`,
      "",
    ].join("\n"),
  );
  const project = await readText(join(work.project, ".gitlab-ci.yml"));
  await writeText(
    join(work.project, ".gitlab-ci.yml"),
    project.replace(
      "  - local: ci/polyarch.yml\n",
      "  - local: ci/polyarch.yml\n  - local: ci/test-overrides.yml\n",
    ),
  );
  const check = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: work.project });
  expect(check.stderr).toBe("");
  await commitProject(work.project, work.env);
  const run = await gitlabCiLocal(
    work.project,
    ["--variable", `CI_REGISTRY_IMAGE=${registry.host}/team`, "--variable", "CI_COMMIT_SHORT_SHA=e2e1"],
    work.env,
  );
  return { work, run };
}

async function expectMultiArchHello(work: { dir: TempDir }, output: string) {
  expect(output).toContain("hello-arm64");
  await expectMultiArchIndex(`${registry.host}/team/hello:e2e1`, join(work.dir.path, "pulled"));
}

describe("the example pipeline under gitlab-ci-local", () => {
  it("runner-tags: builds each architecture, merges by digest, and the index serves each its own binaries", async () => {
    const { work, run } = await runExample([]);
    if (run.code !== 0) throw new Error(pipelineFailure(run.output));
    await expectMultiArchHello(work, run.output);
    expect(run.output).toMatch(/emulated/);
  }, 600_000);

  it("node-selector: the same pipeline with KUBERNETES_NODE_SELECTOR_ARCH routing, checked against the example fleet", async () => {
    const { work, run } = await runExample(["--topology", "node-selector"]);
    if (run.code !== 0) throw new Error(pipelineFailure(run.output));
    const fleetCheck = await polyarch(
      ["ci", "check", ".gitlab-ci.yml", "--fleet", join(ROOT, "examples/fleet.yaml")],
      {
        cwd: work.project,
      },
    );
    expect(fleetCheck.stderr).toBe("");
    expect(fleetCheck.code).toBe(0);
    await expectMultiArchHello(work, run.output);
  }, 600_000);
});
