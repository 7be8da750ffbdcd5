import { type Component, input } from "./component.ts";
import { commaList, IMAGE_INPUTS, polyarchImage, whenSet } from "./images.ts";

const MERGE_DOTENV = "merge.env";

/**
 * `merge`: the merge job alone, for projects that keep their own build jobs; the drop-in for
 * manifest-tool's `push from-args` step. Sources are the build jobs' dotenv reports (polyarch build), or a
 * tag template naming each architecture's image (`$CI_REGISTRY_IMAGE:ARCH-$CI_COMMIT_SHA`).
 */
export const merge: Component = {
  name: "merge",
  description:
    "Merges per-architecture images into one multi-arch image by digest, verifying each child's platform: from the build jobs' polyarch dotenv reports, or from a tag template like manifest-tool's.",
  inputs: {
    needs: {
      type: "array",
      description: "The build jobs this job merges (their names; a parallel: matrix job counts once).",
    },
    target: {
      description: "The multi-arch image to write, repository:tag.",
      default: "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA",
    },
    "extra-tags": {
      type: "array",
      description: "More tags for the same multi-arch image, e.g. [latest].",
      default: [],
    },
    template: {
      description:
        "A source per platform by tag template, manifest-tool style ($CI_REGISTRY_IMAGE:ARCH-$CI_COMMIT_SHA; ARCH, OS, VARIANT or {arch} {os} {variant}); empty: the POLYARCH_IMAGE_* variables of the needed jobs' dotenv reports.",
      default: "",
    },
    platforms: {
      type: "array",
      description:
        "The platforms (os/arch[/variant]) the multi-arch image must hold; with a template, the ones it is expanded for.",
      default: ["linux/amd64", "linux/arm64"],
    },
    stage: {
      description: "The merge job's stage.",
      default: "build",
    },
    "job-name": {
      description: "The merge job's name.",
      default: "merge",
      regex: "^[a-z0-9][a-z0-9_-]*$",
    },
    "verify-binaries": {
      type: "boolean",
      description: "Check the ELF machine of every binary in each child against its platform.",
      default: true,
    },
    ...IMAGE_INPUTS,
  },
  jobs: {
    [input("job-name")]: {
      image: polyarchImage("polyarch"),
      stage: input("stage"),
      needs: input("needs"),
      variables: {
        POLYARCH_TEMPLATE: input("template"),
      },
      script: [
        `if [ "${input("verify-binaries")}" = true ]; then POLYARCH_VERIFY=--verify-binaries; fi`,
        commaList("POLYARCH_PLATFORMS", "platforms"),
        commaList("POLYARCH_EXTRA_TAGS", "extra-tags"),
        `set -- --platforms "$POLYARCH_PLATFORMS" --target "${input("target")}" ${whenSet("POLYARCH_EXTRA_TAGS", "--tags")} $POLYARCH_VERIFY --dotenv ${MERGE_DOTENV} $POLYARCH_MERGE_FLAGS`,
        'if [ -n "$POLYARCH_TEMPLATE" ]; then polyarch merge --template "$POLYARCH_TEMPLATE" "$@"; else polyarch merge --from-env "$@"; fi',
      ],
      artifacts: { reports: { dotenv: MERGE_DOTENV } },
    },
  },
};
