import { type Component, input } from "./component.ts";
import { commaList, IMAGE_INPUTS, polyarchImage, whenSet } from "./images.ts";

const BUILD_DOTENV = "build.env";
const MERGE_DOTENV = "merge.env";
const prefix = input("job-prefix");

/**
 * `multi-arch-image`: one `parallel: matrix` build job over the architectures (each job on a machine of
 * its architecture, in the builder's variant of the tool image) and the merge job that needs it.
 *
 * GitLab cannot cut a string, so the matrix runs over architectures (`amd64`), not `os/arch`: the runner
 * tag (`runner-$POLYARCH_ARCH`) and the node selector need the architecture alone. Array inputs reach a
 * script as JSON text (`["A=1"]`), which `polyarch build --build-args` reads.
 */
export const multiArchImage: Component = {
  name: "multi-arch-image",
  description:
    "Builds an image natively on each architecture (one job per architecture, in an image with a builder) and merges the results by digest into one multi-arch image.",
  inputs: {
    image: {
      description:
        "The repository the image is pushed to; the per-architecture images get unique tags in it.",
      default: "$CI_REGISTRY_IMAGE",
    },
    tag: {
      description: "The multi-arch image's tag.",
      default: "$CI_COMMIT_SHORT_SHA",
    },
    "extra-tags": {
      type: "array",
      description: "More tags for the same multi-arch image, e.g. [latest].",
      default: [],
    },
    architectures: {
      type: "array",
      description:
        "The Linux architectures to build, one job each, as GOARCH names them (amd64, arm64, ppc64le, s390x, riscv64).",
      default: ["amd64", "arm64"],
    },
    topology: {
      description:
        "How a build job reaches its architecture: runner-tags (one runner per architecture, tagged by runner-tag) or node-selector (one multi-arch Kubernetes runner, tagged runner-tag, with KUBERNETES_NODE_SELECTOR_ARCH; the runner must allow it in node_selector_overwrite_allowed).",
      default: "runner-tags",
      options: ["runner-tags", "node-selector"],
    },
    "runner-tag": {
      description:
        "The build jobs' runner tag. runner-tags: name the architecture with $POLYARCH_ARCH (runner-$POLYARCH_ARCH); node-selector: the multi-arch runner's tag (k8s-multiarch).",
      default: "runner-$POLYARCH_ARCH",
    },
    builder: {
      description:
        "The builder, and with it the build jobs' image: the tool image's variant with that builder inside (images/polyarch-BUILDER in this repository).",
      default: "buildah",
      options: ["buildah", "kaniko", "buildkit"],
    },
    ...IMAGE_INPUTS,
    context: {
      description: "The build context directory.",
      default: ".",
    },
    dockerfile: {
      description: "The Dockerfile, relative to the project; empty: CONTEXT/Dockerfile.",
      default: "",
    },
    "build-args": {
      type: "array",
      description: "Build arguments, each KEY=VALUE.",
      default: [],
    },
    stage: {
      description:
        "The stage of the build and merge jobs (the merge job needs the build jobs, so one stage is enough).",
      default: "build",
    },
    "job-prefix": {
      description:
        "The start of the job names: PREFIXbuild and PREFIXmerge; give each image its own when a project includes the component more than once.",
      default: "image-",
      regex: "^[a-z0-9][a-z0-9_-]*$",
    },
    "verify-binaries": {
      type: "boolean",
      description:
        "Check the ELF machine of every binary in each image against its architecture, at build and at merge.",
      default: true,
    },
    cache: {
      type: "boolean",
      description:
        "Reuse unchanged steps' layers from a registry cache, one repository per architecture (IMAGE/cache/linux-ARCH): a cache shared by architectures poisons Kaniko's builds (kaniko#2567).",
      default: false,
    },
    "source-date-epoch": {
      description:
        "Pin the images' timestamps for a reproducible build, e.g. $CI_COMMIT_TIMESTAMP (a retried job then pushes the same digest); empty: not pinned.",
      default: "",
    },
  },
  jobs: {
    [`.${prefix}runner-tags`]: {
      tags: [input("runner-tag")],
    },
    [`.${prefix}node-selector`]: {
      tags: [input("runner-tag")],
      variables: {
        KUBERNETES_NODE_SELECTOR_ARCH: "kubernetes.io/arch=$POLYARCH_ARCH",
      },
    },
    [`${prefix}build`]: {
      extends: `.${prefix}${input("topology")}`,
      image: polyarchImage(`polyarch-${input("builder")}`),
      stage: input("stage"),
      needs: [],
      parallel: { matrix: [{ POLYARCH_ARCH: input("architectures") }] },
      variables: {
        POLYARCH_REPOSITORY: input("image"),
        POLYARCH_PLATFORM: "linux/$POLYARCH_ARCH",
        POLYARCH_DOCKERFILE: input("dockerfile"),
        POLYARCH_SOURCE_DATE_EPOCH: input("source-date-epoch"),
      },
      script: [
        `if [ "${input("verify-binaries")}" = true ]; then POLYARCH_VERIFY=--verify-binaries; fi`,
        `if [ "${input("cache")}" = true ]; then POLYARCH_CACHE_REPO="$POLYARCH_REPOSITORY/cache"; fi`,
        `polyarch build --image "$POLYARCH_REPOSITORY" --platform "$POLYARCH_PLATFORM" --builder ${input("builder")} --context "${input("context")}" ${whenSet("POLYARCH_DOCKERFILE", "--file")} --build-args '${input("build-args")}' ${whenSet("POLYARCH_SOURCE_DATE_EPOCH", "--source-date-epoch")} ${whenSet("POLYARCH_CACHE_REPO", "--cache-repo")} $POLYARCH_VERIFY --dotenv ${BUILD_DOTENV} $POLYARCH_BUILD_FLAGS`,
      ],
      artifacts: { reports: { dotenv: BUILD_DOTENV } },
    },
    [`${prefix}merge`]: {
      image: polyarchImage("polyarch"),
      stage: input("stage"),
      needs: [`${prefix}build`],
      variables: {
        POLYARCH_REPOSITORY: input("image"),
      },
      script: [
        `if [ "${input("verify-binaries")}" = true ]; then POLYARCH_VERIFY=--verify-binaries; fi`,
        commaList("POLYARCH_EXTRA_TAGS", "extra-tags"),
        `polyarch merge --from-env --target "$POLYARCH_REPOSITORY:${input("tag")}" ${whenSet("POLYARCH_EXTRA_TAGS", "--tags")} $POLYARCH_VERIFY --dotenv ${MERGE_DOTENV} $POLYARCH_MERGE_FLAGS`,
      ],
      artifacts: { reports: { dotenv: MERGE_DOTENV } },
    },
  },
};
