import { removeTree } from "../layers/tree-fs.ts";
import type { ExecutorSettings } from "../settings.ts";
import type { StageIo } from "./io.ts";
import { locateJob } from "./locate.ts";

/**
 * `cleanup`: removes everything the job wrote on the host (its directory: root, builds, tmp) and keeps
 * the shared cache. It never fails the job: problems are reported in the log and it exits 0.
 */
export async function cleanup(io: StageIo, settings: () => Promise<ExecutorSettings>): Promise<void> {
  try {
    await removeTree(await locateJob(io.env, settings));
  } catch (error: unknown) {
    io.stderr.write(
      `polyarch-executor: cleanup incomplete: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}
