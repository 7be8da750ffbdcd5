import type { Command } from "commander";
import type { CiCheckOptions, CiTemplateOptions } from "../commands/ci.ts";
import type { Io } from "../output.ts";
import { collect } from "../registry-flags.ts";

const EXAMPLE_PROJECT = `
A project's .gitlab-ci.yml over the generated file (examples/pipeline/ is complete):
  include:
    - local: ci/polyarch.yml
  app-amd64: { extends: .polyarch-build-amd64, variables: { POLYARCH_REPOSITORY: $CI_REGISTRY_IMAGE/app } }
  app-arm64: { extends: .polyarch-build-arm64, variables: { POLYARCH_REPOSITORY: $CI_REGISTRY_IMAGE/app } }
  app:
    extends: .polyarch-merge
    needs: [app-amd64, app-arm64]
    variables: { POLYARCH_REPOSITORY: $CI_REGISTRY_IMAGE/app }

The generated file (runner-tags, the defaults) holds these hidden jobs:
  .polyarch-build         polyarch build --image "$POLYARCH_REPOSITORY" … --dotenv build.env
                          (artifacts: reports: dotenv: build.env; needs: [] unless --stages)
  .polyarch-build-amd64   extends .polyarch-build; tags: [runner-amd64]; POLYARCH_PLATFORM: linux/amd64
  .polyarch-build-arm64   extends .polyarch-build; tags: [runner-arm64]; POLYARCH_PLATFORM: linux/arm64
  .polyarch-merge         polyarch merge --from-env --platforms linux/amd64,linux/arm64
                          --target "$POLYARCH_REPOSITORY:$POLYARCH_TAG" --dotenv merge.env
With --topology node-selector each .polyarch-build-<arch> instead carries the multi-arch runner's tag and
KUBERNETES_NODE_SELECTOR_ARCH: kubernetes.io/arch=<arch> (the runner needs node_selector_overwrite_allowed).
POLYARCH_BUILD_FLAGS and POLYARCH_MERGE_FLAGS add flags to the two commands.`;

/** `polyarch ci template|check`: generated, validated GitLab CI. */
export function declareCi(program: Command, io: Io): void {
  const ci = program
    .command("ci")
    .description(
      "write the CI/CD components' jobs or an includable GitLab CI template, and check CI files (component includes too)",
    );
  ci.command("template")
    .description(
      "print an includable GitLab CI file: a CI/CD component's jobs with --component, else hidden build-per-architecture and merge jobs",
    )
    .option(
      "--topology <topology>",
      "runner-tags (one runner per architecture) or node-selector (one multi-arch runner)",
      "runner-tags",
    )
    .option("--platforms <list>", "platforms to build and merge", "linux/amd64,linux/arm64")
    .option(
      "--runner-tag <tag>",
      "runner-tags: each architecture's runner tag, {arch} replaced (default runner-{arch}); node-selector: the multi-arch runner's tag (default k8s-multiarch)",
    )
    .option("--builder <builder>", "auto, buildah, kaniko or buildkit", "auto")
    .option(
      "--tool-image <ref>",
      "image the jobs run in (polyarch, a shell, Node); REPO:TAG@sha256:… pins it",
      "registry.gitlab.com/polyarch/polyarch:0.1",
    )
    .option("--stages <build,merge>", "put jobs in these stages instead of the stageless form (needs: [])")
    .option(
      "--schedule",
      "render the scheduled template instead: .polyarch-sync and .polyarch-helper-refresh",
      false,
    )
    .option(
      "--shards <n>",
      "with --schedule: run polyarch sync in N parallel shards (--shard $CI_NODE_INDEX/$CI_NODE_TOTAL)",
      "1",
    )
    .option(
      "--component <name>",
      "write this CI/CD component's jobs with --input values instead (multi-arch-image, merge, helper-refresh, mirror-sync): the jobs include: component: gives, for instances without the Catalog",
    )
    .option(
      "--input <key=value>",
      'with --component: an input (VALUE read as JSON when it parses: ["amd64"], 3, true); repeatable',
      collect,
      [],
    )
    .option("--out <file>", "write the file here instead of stdout")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ polyarch ci template --component multi-arch-image --input image=$CI_REGISTRY_IMAGE/app --out ci/app.yml",
        "  $ polyarch ci template --out ci/polyarch.yml",
        "  $ polyarch ci template --topology node-selector --runner-tag k8s-multiarch --out ci/polyarch.yml",
        "  $ polyarch ci template --schedule --shards 4 --out ci/polyarch-scheduled.yml",
        EXAMPLE_PROJECT,
      ].join("\n"),
    )
    .action(async (options: CiTemplateOptions) => {
      const { ciTemplate } = await import("../commands/ci.ts");
      io.stdout.write(await ciTemplate(options, io));
    });
  ci.command("components")
    .description("write this project's CI/CD component files (templates/<name>.yml) from their source")
    .requiredOption("--out <dir>", "the directory to write them to (templates)")
    .addHelpText("after", ["", "Example:", "  $ polyarch ci components --out templates"].join("\n"))
    .action(async (options: { out: string }) => {
      const { ciComponents } = await import("../commands/ci.ts");
      io.stdout.write(await ciComponents(options, io));
    });
  ci.command("check")
    .description(
      "check a CI file (and its local includes) against GitLab's CI schema and polyarch's pipeline checks",
    )
    .argument("<file>", "the CI file, e.g. .gitlab-ci.yml")
    .option(
      "--fleet <file>",
      "fleet file: check node-selector jobs against the runners it renders (matched by tag = runner name)",
    )
    .option(
      "--project-dir <dir>",
      "where include: local: paths start (default: the git top-level of the file's directory, else that directory)",
    )
    .option(
      "--components-from <dir>",
      "a checkout of the component project that include: component: names (the project's own components, $CI_PROJECT_PATH at $CI_COMMIT_SHA, are read from --project-dir)",
    )
    .addHelpText(
      "after",
      [
        "",
        "Checks: GitLab's CI schema; a merge job (polyarch merge --from-env) whose needs miss a build job of",
        "its POLYARCH_REPOSITORY or its artifacts; build jobs one merge needs that write the same",
        "POLYARCH_IMAGE_<ARCH>; with --fleet, a KUBERNETES_NODE_SELECTOR_* its runner's",
        "node_selector_overwrite_allowed refuses; an include: component: input the component's spec: inputs:",
        "refuses (unknown, missing, wrong type, outside options, not matching regex), before GitLab does.",
        "Exit 2 lists every problem as JOB.KEY: message.",
        "",
        "Examples:",
        "  $ polyarch ci check .gitlab-ci.yml",
        "  $ polyarch ci check .gitlab-ci.yml --fleet fleet.yaml",
      ].join("\n"),
    )
    .action(async (file: string, options: CiCheckOptions) => {
      const { ciCheck } = await import("../commands/ci.ts");
      io.stdout.write(await ciCheck(file, options, io));
    });
}
