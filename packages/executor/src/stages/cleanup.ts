import type { StageIo } from "../host/io.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import { readJobState } from "../state/job-state.ts";
import { locateJob } from "../state/locate.ts";
import { removeJob } from "./orphans.ts";

/**
 * `cleanup`: stops the job's services, removes everything the job wrote on the host (its directory:
 * root, builds, tmp) and keeps the shared cache. It never fails the job: problems are reported in the
 * log and it exits 0.
 */
export async function cleanup(io: StageIo, settings: () => Promise<ExecutorSettings>): Promise<void> {
  try {
    const dir = await locateJob(io.env, settings);
    const state = await readJobState(dir).catch(() => undefined);
    await removeJob(dir, state?.stopGraceSeconds ?? 10);
  } catch (error: unknown) {
    io.stderr.write(
      `polyarch-executor: cleanup incomplete: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}
