import { type Component, input } from "./component.ts";
import { IMAGE_INPUTS, polyarchImage } from "./images.ts";

const SCHEDULED_INPUTS = {
  stage: { description: "The job's stage.", default: "build" },
  ...IMAGE_INPUTS,
} as const;

/** Runs only in scheduled pipelines; exit code 3 (some items failed, the rest were done) is a warning. */
const scheduledJob = {
  image: polyarchImage("polyarch"),
  stage: input("stage"),
  needs: [],
  rules: [{ if: '$CI_PIPELINE_SOURCE == "schedule"' }],
  allow_failure: { exit_codes: [3] },
};

/** `helper-refresh`: keeps a multi-arch gitlab-runner-helper image fresh, in scheduled pipelines. */
export const helperRefresh: Component = {
  name: "helper-refresh",
  description:
    "In scheduled pipelines, mirrors the upstream gitlab-runner-helper images a helper file names, verifies each architecture, and stitches them into one multi-arch image.",
  inputs: {
    "helper-file": {
      description: "The helper file (polyarch helper refresh), relative to the project.",
      default: "helper.yaml",
    },
    target: {
      description: "The repository the multi-arch helper image is written to.",
      default: "$CI_REGISTRY_IMAGE/gitlab-runner-helper",
    },
    "job-name": {
      description: "The job's name.",
      default: "helper-refresh",
      regex: "^[a-z0-9][a-z0-9_-]*$",
    },
    ...SCHEDULED_INPUTS,
  },
  jobs: {
    [input("job-name")]: {
      ...scheduledJob,
      script: [
        `polyarch helper refresh "${input("helper-file")}" --target "${input("target")}" --json > helper-refresh.json`,
      ],
      artifacts: { when: "always", paths: ["helper-refresh.json"], expire_in: "30 days" },
    },
  },
};

/** `mirror-sync`: mirrors the images of a sync file, in scheduled pipelines, sharded. */
export const mirrorSync: Component = {
  name: "mirror-sync",
  description:
    "In scheduled pipelines, mirrors every image a sync file names, in parallel shards that each own a stable share of the images.",
  inputs: {
    "sync-file": {
      description: "The sync file (polyarch sync), relative to the project.",
      default: "sync.yaml",
    },
    shards: {
      type: "number",
      description: "Parallel sync jobs, 1 to 200; each mirrors the images whose target hashes to its shard.",
      default: 1,
    },
    "job-name": {
      description: "The job's name.",
      default: "mirror-sync",
      regex: "^[a-z0-9][a-z0-9_-]*$",
    },
    ...SCHEDULED_INPUTS,
  },
  jobs: {
    [input("job-name")]: {
      ...scheduledJob,
      parallel: input("shards"),
      script: [
        `polyarch sync "${input("sync-file")}" --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --json > sync-report.json`,
      ],
      artifacts: { when: "always", paths: ["sync-report.json"], expire_in: "30 days" },
    },
  },
};
