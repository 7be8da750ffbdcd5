import type { CiDocument, CiJob } from "./ci-yaml.ts";

const SCHEDULE_JOB = ".polyarch-scheduled";
const SYNC_JOB = ".polyarch-sync";
const HELPER_REFRESH_JOB = ".polyarch-helper-refresh";

/** What the scheduled template is asked for. */
export interface ScheduleTemplateOptions {
  toolImage: string;
  /** Sync jobs run in parallel, each mirroring its own stable share of the images; 1 is unsharded. @default 1 */
  shards: number;
  /** Stage of the scheduled jobs; undefined renders them stageless (`needs: []`). */
  stage?: string;
}

/**
 * The includable scheduled template (pure): `.polyarch-sync` (polyarch sync $POLYARCH_SYNC_FILE, in
 * `parallel: N` shards when asked) and `.polyarch-helper-refresh` (polyarch helper refresh
 * $POLYARCH_HELPER_FILE into $POLYARCH_HELPER_TARGET), both only in scheduled pipelines. Exit code 3
 * (some items failed, the rest were done) is a warning, not a red pipeline.
 */
export function scheduleTemplate(options: ScheduleTemplateOptions): CiDocument {
  const sharded = options.shards > 1;
  const scheduled: CiJob = {
    image: options.toolImage,
    ...(options.stage ? { stage: options.stage } : { needs: [] }),
    rules: [{ if: '$CI_PIPELINE_SOURCE == "schedule"' }],
    allow_failure: { exit_codes: [3] },
  };
  return {
    [SCHEDULE_JOB]: scheduled,
    [SYNC_JOB]: {
      extends: SCHEDULE_JOB,
      ...(sharded && { parallel: options.shards }),
      variables: { POLYARCH_SYNC_FILE: "sync.yaml" },
      script: [
        sharded
          ? 'polyarch sync "$POLYARCH_SYNC_FILE" --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --json > sync-report.json'
          : 'polyarch sync "$POLYARCH_SYNC_FILE" --json > sync-report.json',
      ],
      artifacts: { when: "always", paths: ["sync-report.json"], expire_in: "30 days" },
    },
    [HELPER_REFRESH_JOB]: {
      extends: SCHEDULE_JOB,
      variables: {
        POLYARCH_HELPER_FILE: "helper.yaml",
        POLYARCH_HELPER_TARGET: "$CI_REGISTRY_IMAGE/gitlab-runner-helper",
      },
      script: [
        'polyarch helper refresh "$POLYARCH_HELPER_FILE" --target "$POLYARCH_HELPER_TARGET" --json > helper-refresh.json',
      ],
      artifacts: { when: "always", paths: ["helper-refresh.json"], expire_in: "30 days" },
    },
  };
}
