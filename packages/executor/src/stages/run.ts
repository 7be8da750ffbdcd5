import { writeFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";
import type { StageIo } from "../host/io.ts";
import { jobContext } from "../protocol/job.ts";
import { type Bind, type SandboxPlan, sandboxArgv } from "../sandbox/argv.ts";
import { BUILDS_DIR, CACHE_DIR, HELPER_MOUNT, SCRIPT_MOUNT, TOOLS_MOUNT } from "../sandbox/mounts.ts";
import { runStage, STATUS_FD, type StageOutcome } from "../sandbox/process.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import { type JobState, readJobState } from "../state/job-state.ts";
import { locateJob } from "../state/locate.ts";

/** What the stage's outcome means to gitlab-runner. */
export type RunResult =
  | { kind: "success" }
  | { kind: "build-failure"; exitCode: number }
  | { kind: "terminated" };

/** The sandbox of one stage (pure): the job's root, its directories, the image's user and env. */
export function stagePlan(state: JobState, script: string): SandboxPlan {
  const paths = state.paths;
  const binds: Bind[] = [
    { source: paths.builds, target: BUILDS_DIR, readOnly: false },
    { source: paths.projectCache, target: CACHE_DIR, readOnly: false },
    { source: paths.tmp, target: "/tmp", readOnly: false },
  ];
  if (state.helper) {
    binds.push({ source: state.helper.root, target: HELPER_MOUNT, readOnly: true });
    binds.push({ source: paths.tools, target: TOOLS_MOUNT, readOnly: true });
  }
  binds.push({ source: script, target: SCRIPT_MOUNT, readOnly: true });
  return {
    root: state.root,
    binds,
    user: state.user,
    env: state.env,
    workingDir: state.workingDir,
    hostname: state.hostname,
    network: state.network,
    ...(state.namespace !== undefined && { namespace: state.namespace }),
    command: [...state.entrypoint, state.shell, SCRIPT_MOUNT],
    statusFd: STATUS_FD,
    ...(state.hostsFile !== undefined && { hostsFile: state.hostsFile }),
    ...(state.cgroup !== undefined && { cgroup: state.cgroup }),
  };
}

/**
 * `run <script> <stage>`: runs the script in the job's sandbox. The script's own failure is a build
 * failure (its exit code goes to BUILD_EXIT_CODE_FILE); a sandbox that does not start is a system
 * failure (thrown).
 */
export async function run(
  io: StageIo,
  script: string,
  stage: string,
  settings: () => Promise<ExecutorSettings>,
): Promise<RunResult> {
  const job = jobContext(io.env);
  const state = await readJobState(await locateJob(io.env, settings));
  if (state === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_JOB_NOT_PREPARED",
      `stage ${stage} ran before prepare finished for ${job.jobKey}`,
      {
        hint: "the runner runs prepare first; check its prepare_exec in [runners.custom]",
      },
    );
  }
  const outcome: StageOutcome = await runStage(sandboxArgv(stagePlan(state, script)), {
    graceSeconds: state.stopGraceSeconds,
  });
  switch (outcome.kind) {
    case "terminated":
      return { kind: "terminated" };
    case "sandbox-failed":
      throw new PolyarchError(
        "POLYARCH_E_SANDBOX",
        `the sandbox for stage ${stage} did not start (exit ${outcome.exitCode}; bubblewrap says why above)`,
        {
          hint: "run polyarch-executor doctor on this host",
        },
      );
    case "exited":
      if (outcome.exitCode === 0) return { kind: "success" };
      if (job.buildExitCodeFile) await writeFile(job.buildExitCodeFile, String(outcome.exitCode));
      return { kind: "build-failure", exitCode: outcome.exitCode };
  }
}
