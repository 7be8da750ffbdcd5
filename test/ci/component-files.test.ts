import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import { commitProject, gitlabCiLocal, pipelineProject, ROOT, writeText } from "./support.ts";

// One source of truth: the committed templates/ are what `polyarch ci components` writes, and
// `polyarch ci template --component` writes the jobs GitLab (here gitlab-ci-local) makes of the include.
const run = promisify(execFile);
const dirs: TempDir[] = [];

afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

describe("the component files", () => {
  it("templates/ is exactly what polyarch ci components --out templates writes", async () => {
    const dir = await tempDir("polyarch-components-");
    dirs.push(dir);
    const written = await polyarch(["ci", "components", "--out", dir.path]);
    expect(written.code).toBe(0);
    const committed = (await readdir(join(ROOT, "templates"))).sort();
    expect((await readdir(dir.path)).sort()).toEqual(committed);
    expect(committed).toEqual(["helper-refresh.yml", "merge.yml", "mirror-sync.yml", "multi-arch-image.yml"]);
    for (const file of committed) {
      expect(await readFile(join(ROOT, "templates", file), "utf8"), file).toBe(
        await readFile(join(dir.path, file), "utf8"),
      );
    }
  });

  it("polyarch ci template --component writes the jobs gitlab-ci-local makes of the include with the same inputs", async () => {
    const inputs = {
      image: "$CI_REGISTRY_IMAGE/app",
      architectures: '["amd64","arm64","riscv64"]',
      "build-args": '["VERSION=1.4","DEBUG=0"]',
      topology: "node-selector",
      "runner-tag": "k8s-multiarch",
      "job-prefix": "app-",
    };
    const viaComponent = await pipelineProject();
    const viaTemplate = await pipelineProject();
    dirs.push(viaComponent.dir, viaTemplate.dir);
    await run("cp", ["-r", join(ROOT, "templates"), join(viaComponent.project, "templates")]);
    await writeText(
      join(viaComponent.project, ".gitlab-ci.yml"),
      [
        "include:",
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/multi-arch-image@$CI_COMMIT_SHA",
        "    inputs:",
        ...Object.entries(inputs).map(
          ([key, value]) => `      ${key}: ${value.startsWith("[") ? value : `"${value}"`}`,
        ),
        "",
      ].join("\n"),
    );
    const template = await polyarch([
      "ci",
      "template",
      "--component",
      "multi-arch-image",
      ...Object.entries(inputs).flatMap(([key, value]) => ["--input", `${key}=${value}`]),
      "--out",
      join(viaTemplate.project, "ci/app.yml"),
    ]);
    expect(template.stderr).toBe("");
    await writeText(join(viaTemplate.project, ".gitlab-ci.yml"), "include:\n  - local: ci/app.yml\n");
    const previews: string[] = [];
    for (const work of [viaComponent, viaTemplate]) {
      await commitProject(work.project, work.env);
      const preview = await gitlabCiLocal(work.project, ["--preview"], work.env);
      expect(preview.code).toBe(0);
      const sha = (await run("git", ["rev-parse", "HEAD"], { cwd: work.project })).stdout.trim();
      // The YAML on stdout alone: gitlab-ci-local's log on stderr carries its timings ("in 1.08 s").
      previews.push(preview.stdout.replaceAll(sha, "VERSION"));
    }
    const version = JSON.parse(await readFile(join(ROOT, "packages/cli/package.json"), "utf8")).version;
    const [fromComponent, fromTemplate] = previews;
    expect(fromComponent).toContain("\napp-build:\n");
    expect(fromComponent).toContain("KUBERNETES_NODE_SELECTOR_ARCH: kubernetes.io/arch=$POLYARCH_ARCH");
    expect(fromComponent).toContain(`--build-args '["VERSION=1.4","DEBUG=0"]'`);
    expect(fromComponent).toMatch(/POLYARCH_ARCH:\n\s+- amd64\n\s+- arm64\n\s+- riscv64\n/);
    expect(fromTemplate!.replaceAll(`:${version}`, ":VERSION")).toBe(fromComponent);
  }, 120_000);
});

describe("the README's components section", () => {
  it("documents every input of every component with its description and default, as templates/ declares them", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    for (const file of await readdir(join(ROOT, "templates"))) {
      const name = file.replace(/\.yml$/, "");
      const section = new RegExp(`\\n### ${name}\\n([\\s\\S]*?)\\n### `).exec(readme)?.[1];
      expect(section, `README section ### ${name}`).toBeDefined();
      expect(section).toContain(`component: $CI_SERVER_FQDN/polyarch/polyarch/${name}@`);
      const spec = `${(await readFile(join(ROOT, "templates", file), "utf8")).split("\n---\n")[0]}\n`;
      const inputs = [...spec.matchAll(/^ {4}([a-z-]+):\n((?: {6}.*\n| {8}.*\n)+)/gm)];
      expect(inputs.length).toBeGreaterThan(3);
      for (const [, input, body] of inputs) {
        const description = /^ {6}description: "?(.*?)"?$/m.exec(body!)?.[1];
        const row = new RegExp(`^\\| \`${input}\` +\\| ([^|]+?) +\\| (.*) \\|$`, "m").exec(section!);
        expect(row, `${name} input ${input}`).not.toBeNull();
        expect(row![2]).toContain(description);
        expect(row![1] === "**required**", `${name} input ${input} required`).toBe(
          !/^ {6}default:/m.test(body!),
        );
      }
    }
  });
});

describe("polyarch's own pipeline", () => {
  it("builds its four images with its own component, and releases only on a semver tag, after them", async () => {
    const work = await pipelineProject();
    dirs.push(work.dir);
    await run("cp", ["-r", join(ROOT, "templates"), join(work.project, "templates")]);
    await run("cp", [join(ROOT, ".gitlab-ci.yml"), join(work.project, ".gitlab-ci.yml")]);
    await commitProject(work.project, work.env);
    const list = async (...variables: string[]) =>
      (
        await gitlabCiLocal(
          work.project,
          ["--list", ...variables.flatMap((v) => ["--variable", v])],
          work.env,
        )
      ).output;
    const branch = await list();
    for (const image of ["polyarch", "polyarch-buildah", "polyarch-kaniko", "polyarch-buildkit"]) {
      expect(branch).toContain(`${image}-build: [arm64]`);
      expect(branch).toMatch(new RegExp(`\\n${image}-merge +build .*\\[${image}-build\\]`));
    }
    expect(branch).not.toMatch(/\nrelease /);
    expect(await list("CI_COMMIT_TAG=1.2.3")).toMatch(
      /\nrelease +release .*\[test,polyarch-merge,polyarch-buildah-merge,polyarch-kaniko-merge,polyarch-buildkit-merge\]/,
    );
    expect(await list("CI_COMMIT_TAG=v1.2")).not.toMatch(/\nrelease /);
    const scheduled = await list("CI_PIPELINE_SOURCE=schedule");
    expect(scheduled).toContain("refresh-gitlab-runner-helper");
    expect(scheduled).not.toContain("polyarch-build");
  }, 120_000);
});
