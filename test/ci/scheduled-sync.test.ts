import { cp, readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  pushImage,
  type Registry,
  skopeo,
  startRegistry,
  syntheticImage,
  type TempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import {
  commitProject,
  gitlabCiLocal,
  pipelineFailure,
  pipelineProject,
  ROOT,
  readText,
  writeText,
} from "./support.ts";

// The sharded sync (parallel: 2, polyarch sync --shard $CI_NODE_INDEX/$CI_NODE_TOTAL) of the mirror-sync
// component, included as a component and as polyarch ci template writes its jobs, run by gitlab-ci-local
// as a scheduled pipeline against a harness registry.
const IMAGES = Array.from({ length: 8 }, (_, i) => `app${i}`);
let registry: Registry;
const dirs: TempDir[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  for (const [i, name] of IMAGES.entries()) {
    await pushImage(registry, `upstream/${name}`, "1", await syntheticImage({ seed: 100 + i }));
  }
});

afterAll(async () => {
  await registry?.stop();
  for (const dir of dirs) await dir.remove();
});

/** sync.yaml mirroring every upstream image into `mirror` (each test its own), written into the project. */
async function writeSyncFile(project: string, mirror: string): Promise<void> {
  await writeText(
    join(project, "sync.yaml"),
    `images:\n${IMAGES.map(
      (name) =>
        `  - source: ${registry.host}/upstream/${name}:1\n    target: ${registry.host}/${mirror}/${name}\n`,
    ).join("")}`,
  );
}

/**
 * Checks the project, then runs it under gitlab-ci-local: `job` is absent from a push pipeline, and in a
 * scheduled one its two shards mirror every image exactly once, each a copy of its source by digest.
 */
async function expectTwoShardsMirrorEverything(
  project: { project: string; env: Record<string, string> },
  job: string,
  mirror: string,
): Promise<void> {
  expect((await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: project.project })).stderr).toBe("");
  await commitProject(project.project, project.env);

  const pushed = await gitlabCiLocal(project.project, ["--list"], project.env);
  expect(pushed.code).toBe(0);
  expect(pushed.output).not.toContain(job);
  const scheduled = await gitlabCiLocal(
    project.project,
    ["--list", "--variable", "CI_PIPELINE_SOURCE=schedule"],
    project.env,
  );
  expect(scheduled.output).toContain(job);

  const run = await gitlabCiLocal(
    project.project,
    ["--variable", "CI_PIPELINE_SOURCE=schedule"],
    project.env,
  );
  if (run.code !== 0) throw new Error(pipelineFailure(run.output));

  const artifacts = join(project.project, ".gitlab-ci-local", "artifacts");
  const shards = (await readdir(artifacts)).filter((name) => name.startsWith(job));
  expect(shards).toHaveLength(2);
  const mirrored: string[] = [];
  for (const shard of shards) {
    const report = JSON.parse(await readText(join(artifacts, shard, "sync-report.json"))) as {
      items: Array<{ target: string; action: string }>;
    };
    expect(report.items.length).toBeGreaterThan(0);
    expect(report.items.every((item) => item.action === "created")).toBe(true);
    mirrored.push(...report.items.map((item) => item.target));
  }
  expect(mirrored.sort()).toEqual(IMAGES.map((name) => `${registry.host}/${mirror}/${name}:1`).sort());
  for (const name of IMAGES) {
    const digest = (image: string) => skopeo(["inspect", "--format", "{{.Digest}}", `docker://${image}`]);
    expect(await digest(`${registry.host}/${mirror}/${name}:1`)).toBe(
      await digest(`${registry.host}/upstream/${name}:1`),
    );
  }
}

describe("the scheduled sync under gitlab-ci-local", () => {
  it("polyarch ci template --component mirror-sync: two shards together mirror every image exactly once, only in a scheduled pipeline", async () => {
    const project = await pipelineProject();
    dirs.push(project.dir);
    const template = await polyarch([
      "ci",
      "template",
      "--component",
      "mirror-sync",
      "--input",
      "shards=2",
      "--input",
      "job-name=mirror",
      "--out",
      join(project.project, "ci/mirror-sync.yml"),
    ]);
    expect(template.code).toBe(0);
    await writeText(join(project.project, ".gitlab-ci.yml"), "include:\n  - local: ci/mirror-sync.yml\n");
    await writeSyncFile(project.project, "mirror-template");
    await expectTwoShardsMirrorEverything(project, "mirror", "mirror-template");
  }, 300_000);

  it("the mirror-sync component: the same, from one include with shards: 2", async () => {
    const project = await pipelineProject();
    dirs.push(project.dir);
    await cp(join(ROOT, "templates"), join(project.project, "templates"), { recursive: true });
    await writeText(
      join(project.project, ".gitlab-ci.yml"),
      "include:\n  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/mirror-sync@$CI_COMMIT_SHA\n    inputs:\n      shards: 2\n",
    );
    await writeSyncFile(project.project, "mirror-component");
    await expectTwoShardsMirrorEverything(project, "mirror-sync", "mirror-component");
  }, 300_000);
});
