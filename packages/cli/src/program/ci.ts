import type { Command } from "commander";
import type { CiCheckOptions, CiTemplateOptions } from "../commands/ci.ts";
import type { Io } from "../output.ts";
import { collect } from "../registry-flags.ts";

const EXAMPLE_PROJECT = `
The file holds the same jobs as include: component: with the same inputs (templates/<name>.yml, the
same source), for instances without the CI/CD Catalog; $[[ component.version ]] becomes this polyarch's
version. A project's .gitlab-ci.yml over it (examples/pipeline/ is complete):
  include:
    - local: ci/polyarch.yml
multi-arch-image, with its defaults, gives:
  image-build   parallel: matrix: POLYARCH_ARCH [amd64, arm64]; tags: [runner-$POLYARCH_ARCH];
                image IMAGES/polyarch-buildah:VERSION; polyarch build … --dotenv build.env
  image-merge   needs: [image-build]; image IMAGES/polyarch:VERSION;
                polyarch merge --from-env --target "$POLYARCH_REPOSITORY:$CI_COMMIT_SHORT_SHA" … --dotenv merge.env
(IMAGES is the images input.) templates/<name>.yml lists every input with its description and default.`;

/** `polyarch ci template|check`: generated, validated GitLab CI. */
export function declareCi(program: Command, io: Io): void {
  const ci = program
    .command("ci")
    .description(
      "write the CI/CD component files or a component's jobs as an includable file, and check CI files (component includes too)",
    );
  ci.command("template")
    .description(
      "print an includable GitLab CI file: a CI/CD component's jobs with its inputs filled in (for instances without the Catalog)",
    )
    .option(
      "--component <name>",
      "the CI/CD component whose jobs to write: multi-arch-image, merge, helper-refresh or mirror-sync",
      "multi-arch-image",
    )
    .option(
      "--input <key=value>",
      'an input of the component (VALUE read as JSON when it parses: ["amd64"], 3, true); repeatable',
      collect,
      [],
    )
    .option("--out <file>", "write the file here instead of stdout")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ polyarch ci template --input 'image=$CI_REGISTRY_IMAGE/app' --out ci/polyarch.yml",
        "  $ polyarch ci template --input topology=node-selector --input runner-tag=k8s-multiarch --out ci/polyarch.yml",
        "  $ polyarch ci template --component mirror-sync --input shards=4 --out ci/mirror-sync.yml",
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
