import { validateFleet } from "@polyarch/runner-config";
import { describe, expect, it } from "vitest";
import { checkCiFiles } from "./check-file.ts";

/**
 * A project's own hidden build and merge jobs, in the shape projects write them to extend: one
 * `.polyarch-build-<arch>` per architecture, on a runner per architecture (`runner-<arch>`) or, with
 * `nodeSelector`, on the one multi-arch runner `runnerTag` with a node selector.
 */
function template(options: { nodeSelector?: boolean; runnerTag?: string } = {}) {
  const perArch = (arch: string) =>
    options.nodeSelector
      ? `.polyarch-build-${arch}:
  extends: .polyarch-build
  tags: [${options.runnerTag ?? "k8s-multiarch"}]
  variables: { KUBERNETES_NODE_SELECTOR_ARCH: kubernetes.io/arch=${arch}, POLYARCH_PLATFORM: linux/${arch} }
`
      : `.polyarch-build-${arch}:
  extends: .polyarch-build
  tags: [runner-${arch}]
  variables: { POLYARCH_PLATFORM: linux/${arch} }
`;
  return {
    path: "ci/polyarch.yml",
    text: `.polyarch-build:
  image: registry.example.com/polyarch-buildah:1
  script: ['polyarch build --image "$POLYARCH_REPOSITORY" --dotenv build.env']
  artifacts: { reports: { dotenv: build.env } }
${perArch("amd64")}${perArch("arm64")}.polyarch-merge:
  image: registry.example.com/polyarch:1
  script: ['polyarch merge --from-env --target "$POLYARCH_REPOSITORY:1" --dotenv merge.env']
  artifacts: { reports: { dotenv: merge.env } }
`,
  };
}

const project = (jobs: string) => ({
  path: ".gitlab-ci.yml",
  text: `include:\n  - local: ci/polyarch.yml\n${jobs}`,
});

const threeJobs = `
app-amd64:
  extends: .polyarch-build-amd64
  variables: { POLYARCH_REPOSITORY: registry.example.com/app }
app-arm64:
  extends: .polyarch-build-arm64
  variables: { POLYARCH_REPOSITORY: registry.example.com/app }
app:
  extends: .polyarch-merge
  needs: [app-amd64, app-arm64]
  variables: { POLYARCH_REPOSITORY: registry.example.com/app }
`;

function fleet(architectures: string[]) {
  const result = validateFleet({
    version: 1,
    gitlab: { url: "https://gitlab.example.com" },
    helper_image: `registry.example.com/helper:v1@sha256:${"b".repeat(64)}`,
    runners: [
      {
        name: "k8s-multiarch",
        executor: "kubernetes",
        token: { kubernetes_secret: "runner-token" },
        kubernetes: { namespace: "ci", architectures },
      },
      { name: "arm64-host", executor: "custom", token: "$RUNNER_TOKEN" },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.fleet;
}

describe("checkCiFiles", () => {
  it("passes a project of three short jobs over its hidden jobs", () => {
    expect(checkCiFiles(project(threeJobs), [template()])).toEqual([]);
  });

  it("names the job and key GitLab's schema refuses, in the file and in what it includes", () => {
    const problems = checkCiFiles(project(`${threeJobs}  artifactz: {}\n`), [
      { path: "ci/polyarch.yml", text: "broken:\n  script: [x]\n  when: sometimes\n" },
    ]);
    expect(problems).toEqual([
      { job: "app", key: "", message: 'unknown key "artifactz" (GitLab CI schema)' },
      {
        job: "broken",
        key: "when",
        message: expect.stringMatching(/^must be one of "on_success".* \(in ci\/polyarch\.yml\)$/),
      },
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    expect(checkCiFiles({ path: ".gitlab-ci.yml", text: "job:\n  script: [x\n" }, [])).toEqual([
      expect.objectContaining({ job: "(file)", key: expect.stringMatching(/^line \d+, column \d+$/) }),
    ]);
  });

  it("finds a merge job whose needs miss a build job of its repository", () => {
    const text = threeJobs.replace("needs: [app-amd64, app-arm64]", "needs: [app-amd64]");
    expect(checkCiFiles(project(text), [template()])).toEqual([
      { job: "app", key: "needs", message: expect.stringContaining("misses build job app-arm64") },
    ]);
  });

  it("finds a merge job without needs, or needing a build job without its artifacts", () => {
    const noNeeds = threeJobs.replace("  needs: [app-amd64, app-arm64]\n", "");
    expect(checkCiFiles(project(noNeeds), [template()])).toEqual([
      { job: "app", key: "needs", message: expect.stringContaining("is missing") },
    ]);
    const noArtifacts = threeJobs.replace(
      "needs: [app-amd64, app-arm64]",
      "needs: [app-amd64, { job: app-arm64, artifacts: false }]",
    );
    expect(checkCiFiles(project(noArtifacts), [template()])).toEqual([
      { job: "app", key: "needs", message: expect.stringContaining("app-arm64 with artifacts: false") },
    ]);
    const noDotenv = `${threeJobs}  dependencies: [app-amd64]\n`;
    expect(checkCiFiles(project(noDotenv), [template()])).toEqual([
      { job: "app", key: "dependencies", message: expect.stringContaining("leaves out app-arm64") },
    ]);
  });

  it("finds a build job that publishes no dotenv report", () => {
    const text = `${threeJobs.replace("app-arm64:\n  extends: .polyarch-build-arm64\n", "app-arm64:\n  extends: .polyarch-build-arm64\n  artifacts: { paths: [out] }\n")}`;
    expect(checkCiFiles(project(text), [template()])).toEqual([]);
    const replaced = `app-arm64:\n  tags: [runner-arm64]\n  variables: { POLYARCH_REPOSITORY: registry.example.com/app, POLYARCH_PLATFORM: linux/arm64 }\n  script: [polyarch build --image registry.example.com/app]\n`;
    const withoutReport = threeJobs.replace(/app-arm64:\n(?: {2}.*\n)+/, replaced);
    expect(checkCiFiles(project(withoutReport), [template()])).toEqual([
      {
        job: "app-arm64",
        key: "artifacts.reports.dotenv",
        message: expect.stringContaining("merge job app"),
      },
    ]);
  });

  it("finds dotenv names that collide: one merge needing two build jobs of one architecture", () => {
    const text = `${threeJobs.replace("needs: [app-amd64, app-arm64]", "needs: [app-amd64, app-arm64, tool-arm64]")}
tool-arm64:
  extends: .polyarch-build-arm64
  variables: { POLYARCH_REPOSITORY: registry.example.com/tool }
`;
    expect(checkCiFiles(project(text), [template()])).toEqual([
      {
        job: "app",
        key: "needs",
        message: expect.stringContaining("app-arm64 and tool-arm64 all write POLYARCH_IMAGE_ARM64"),
      },
    ]);
  });

  it("with a fleet: passes node-selector jobs on a runner that allows their architecture", () => {
    const files = [project(threeJobs), [template({ nodeSelector: true })]] as const;
    expect(checkCiFiles(files[0], files[1], fleet(["amd64", "arm64"]))).toEqual([]);
  });

  it("with a fleet: finds a node-selector job on a runner rendered without that architecture", () => {
    expect(checkCiFiles(project(threeJobs), [template({ nodeSelector: true })], fleet(["amd64"]))).toEqual([
      {
        job: "app-arm64",
        key: "variables.KUBERNETES_NODE_SELECTOR_ARCH",
        message: expect.stringContaining(
          'refused by runner k8s-multiarch, rendered with node_selector_overwrite_allowed = "^kubernetes\\.io/arch=(amd64)$"',
        ),
      },
    ]);
  });

  it("with a fleet: finds a node-selector job routed to a custom-executor runner or to no runner", () => {
    const custom = checkCiFiles(
      project(threeJobs),
      [template({ nodeSelector: true, runnerTag: "arm64-host" })],
      fleet(["amd64", "arm64"]),
    );
    expect(custom.map((problem) => `${problem.job} ${problem.key}`)).toEqual([
      "app-amd64 variables.KUBERNETES_NODE_SELECTOR_ARCH",
      "app-arm64 variables.KUBERNETES_NODE_SELECTOR_ARCH",
    ]);
    expect(custom[0]!.message).toContain("custom executor");
    const unknown = checkCiFiles(
      project(threeJobs),
      [template({ nodeSelector: true, runnerTag: "somewhere" })],
      fleet(["amd64", "arm64"]),
    );
    expect(unknown).toContainEqual({
      job: "app-amd64",
      key: "tags",
      message: expect.stringContaining("name no runner"),
    });
  });

  it("finds an extends that no file defines", () => {
    expect(checkCiFiles(project(threeJobs), [])).toContainEqual({
      job: "app",
      key: "extends",
      message: "extends .polyarch-merge, which no file defines",
    });
  });
});

describe("checkCiFiles with top-level variables", () => {
  it("reads POLYARCH_REPOSITORY from the file's variables, as GitLab gives them to every job", () => {
    const text = `variables: { POLYARCH_REPOSITORY: registry.example.com/app }
app-amd64: { extends: .polyarch-build-amd64 }
app-arm64: { extends: .polyarch-build-arm64 }
app: { extends: .polyarch-merge, needs: [app-amd64] }
`;
    expect(checkCiFiles(project(text), [template()])).toEqual([
      { job: "app", key: "needs", message: expect.stringContaining("misses build job app-arm64") },
    ]);
  });
});
