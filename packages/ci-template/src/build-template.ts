import { formatPlatform } from "@polyarch/oci";
import type { CiDocument, CiJob } from "./ci-yaml.ts";
import { jobArch, kubernetesArch } from "./names.ts";
import type { BuildTemplateOptions } from "./options.ts";

const BUILD_JOB = ".polyarch-build";
const MERGE_JOB = ".polyarch-merge";
const BUILD_DOTENV = "build.env";
const MERGE_DOTENV = "merge.env";

/** `.polyarch-build-<arch>`: the hidden job a project's per-architecture build job extends. */
function buildJobName(platformJobArch: string): string {
  return `${BUILD_JOB}-${platformJobArch}`;
}

/**
 * The includable build-and-merge template (pure: options in, jobs out). A project extends
 * `.polyarch-build-<arch>` once per architecture and `.polyarch-merge` once, each with
 * POLYARCH_REPOSITORY set; the merge job lists the build jobs in `needs`.
 */
export function buildTemplate(options: BuildTemplateOptions): CiDocument {
  const builderFlag = options.builder === "auto" ? "" : ` --builder ${options.builder}`;
  const build: CiJob = {
    image: options.toolImage,
    ...(options.stages ? { stage: options.stages.build } : { needs: [] }),
    variables: {
      POLYARCH_CONTEXT: ".",
      POLYARCH_DOCKERFILE: "$POLYARCH_CONTEXT/Dockerfile",
      POLYARCH_BUILD_FLAGS: "",
    },
    script: [
      `polyarch build --image "$POLYARCH_REPOSITORY" --context "$POLYARCH_CONTEXT" --file "$POLYARCH_DOCKERFILE"${builderFlag} --dotenv ${BUILD_DOTENV} $POLYARCH_BUILD_FLAGS`,
    ],
    artifacts: { reports: { dotenv: BUILD_DOTENV } },
  };
  const jobs: CiDocument = { [BUILD_JOB]: build };
  for (const platform of options.platforms) {
    const arch = jobArch(platform);
    jobs[buildJobName(arch)] =
      options.topology === "runner-tags"
        ? {
            extends: BUILD_JOB,
            tags: [options.runnerTag.replaceAll("{arch}", arch)],
            variables: { POLYARCH_PLATFORM: formatPlatform(platform) },
          }
        : {
            extends: BUILD_JOB,
            tags: [options.runnerTag],
            variables: {
              // The runner must allow it: node_selector_overwrite_allowed (polyarch render sets it).
              KUBERNETES_NODE_SELECTOR_ARCH: `kubernetes.io/arch=${kubernetesArch(platform)}`,
              POLYARCH_PLATFORM: formatPlatform(platform),
            },
          };
  }
  jobs[MERGE_JOB] = {
    image: options.toolImage,
    ...(options.stages && { stage: options.stages.merge }),
    variables: { POLYARCH_TAG: "$CI_COMMIT_SHORT_SHA", POLYARCH_MERGE_FLAGS: "" },
    script: [
      `polyarch merge --from-env --platforms ${options.platforms.map(formatPlatform).join(",")} --target "$POLYARCH_REPOSITORY:$POLYARCH_TAG" --dotenv ${MERGE_DOTENV} $POLYARCH_MERGE_FLAGS`,
    ],
    artifacts: { reports: { dotenv: MERGE_DOTENV } },
  };
  return jobs;
}

/** The command line that renders this template again (the file's header says it). */
export function buildTemplateCommand(options: BuildTemplateOptions): string {
  return [
    "polyarch ci template",
    `--topology ${options.topology}`,
    `--platforms ${options.platforms.map(formatPlatform).join(",")}`,
    `--runner-tag ${options.runnerTag}`,
    ...(options.builder === "auto" ? [] : [`--builder ${options.builder}`]),
    `--tool-image ${options.toolImage}`,
    ...(options.stages ? [`--stages ${options.stages.build},${options.stages.merge}`] : []),
  ].join(" ");
}
