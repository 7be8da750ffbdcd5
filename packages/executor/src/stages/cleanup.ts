import { jobPaths } from "../job-dir.ts";
import { removeTree } from "../layers/tree-fs.ts";
import { jobContext } from "../protocol/job.ts";
import type { ExecutorSettings } from "../settings.ts";
import type { StageIo } from "./context.ts";

/**
 * `cleanup`: removes everything the job wrote on the host (its directory: root, builds, tmp) and keeps
 * the shared cache. It never fails the job: problems are reported in the log and it exits 0.
 */
export async function cleanup(settings: ExecutorSettings, io: StageIo): Promise<void> {
  try {
    const job = jobContext(io.env, undefined);
    await removeTree(jobPaths(settings.stateDir, job.jobKey, job.projectKey).dir);
  } catch (error: unknown) {
    io.stderr.write(
      `polyarch-executor: cleanup incomplete: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}
