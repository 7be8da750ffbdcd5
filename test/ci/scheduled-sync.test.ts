import { readdir } from "node:fs/promises";
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
import { commitProject, gitlabCiLocal, pipelineProject, readText, writeText } from "./support.ts";

// The scheduled template's sharded sync (parallel: 2, polyarch sync --shard $CI_NODE_INDEX/$CI_NODE_TOTAL)
// run by gitlab-ci-local as a scheduled pipeline against a harness registry.
const IMAGES = Array.from({ length: 8 }, (_, i) => `app${i}`);
let registry: Registry;
let work: TempDir | undefined;

beforeAll(async () => {
  registry = await startRegistry();
  for (const [i, name] of IMAGES.entries()) {
    await pushImage(registry, `upstream/${name}`, "1", await syntheticImage({ seed: 100 + i }));
  }
});

afterAll(async () => {
  await registry?.stop();
  await work?.remove();
});

describe("the scheduled sync template under gitlab-ci-local", () => {
  it("runs two shards that together mirror every image exactly once, only in a scheduled pipeline", async () => {
    const project = await pipelineProject();
    work = project.dir;
    const template = await polyarch([
      "ci",
      "template",
      "--schedule",
      "--shards",
      "2",
      "--out",
      join(project.project, "ci/polyarch-scheduled.yml"),
    ]);
    expect(template.code).toBe(0);
    await writeText(
      join(project.project, ".gitlab-ci.yml"),
      "include:\n  - local: ci/polyarch-scheduled.yml\n\nmirror:\n  extends: .polyarch-sync\n  variables:\n    POLYARCH_SYNC_FILE: sync.yaml\n",
    );
    await writeText(
      join(project.project, "sync.yaml"),
      `images:\n${IMAGES.map(
        (name) =>
          `  - source: ${registry.host}/upstream/${name}:1\n    target: ${registry.host}/mirror/${name}\n`,
      ).join("")}`,
    );
    expect((await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: project.project })).code).toBe(0);
    await commitProject(project.project, project.env);

    const pushed = await gitlabCiLocal(project.project, ["--list"], project.env);
    expect(pushed.code).toBe(0);
    expect(pushed.output).not.toMatch(/mirror/);
    const scheduled = await gitlabCiLocal(
      project.project,
      ["--list", "--variable", "CI_PIPELINE_SOURCE=schedule"],
      project.env,
    );
    expect(scheduled.output).toMatch(/mirror/);

    const run = await gitlabCiLocal(
      project.project,
      ["--variable", "CI_PIPELINE_SOURCE=schedule"],
      project.env,
    );
    if (run.code !== 0) throw new Error(run.output.split("\n").slice(-40).join("\n"));

    const artifacts = join(project.project, ".gitlab-ci-local", "artifacts");
    const shards = (await readdir(artifacts)).filter((name) => name.startsWith("mirror"));
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
    expect(mirrored.sort()).toEqual(IMAGES.map((name) => `${registry.host}/mirror/${name}:1`).sort());
    for (const name of IMAGES) {
      const source = await skopeo([
        "inspect",
        "--format",
        "{{.Digest}}",
        `docker://${registry.host}/upstream/${name}:1`,
      ]);
      const target = await skopeo([
        "inspect",
        "--format",
        "{{.Digest}}",
        `docker://${registry.host}/mirror/${name}:1`,
      ]);
      expect(target).toBe(source);
    }
  }, 300_000);
});
