import { basename } from "node:path";
import type { StageIo } from "../host/io.ts";
import { removeTree } from "../layers/tree-fs.ts";
import { freezeJobCgroup, readRecordedCgroup, removeJobCgroup } from "../sandbox/job-cgroup.ts";
import {
  readRecordedNamespace,
  removeAsNamespaceRoot,
  stopConnector,
  stopJobNamespace,
} from "../sandbox/job-namespace.ts";
import { stopServices } from "../services/start.ts";
import { findLeftJobs, type LeftJob } from "../state/job-owner.ts";
import { jobFiles } from "../state/layout.ts";

/**
 * Stops and removes every job under `stateDir` whose runner is gone, saying so on `io`; never throws.
 * Returns the jobs it removed and those it could not (with the reason).
 */
export async function reapOrphans(
  stateDir: string,
  io: Pick<StageIo, "stdout" | "stderr">,
): Promise<{ removed: LeftJob[]; failed: Array<LeftJob & { reason: string }> }> {
  const removed: LeftJob[] = [];
  const failed: Array<LeftJob & { reason: string }> = [];
  for (const job of await findLeftJobs(stateDir)) {
    io.stdout.write(
      `polyarch-executor: stopping job ${basename(job.dir)}, left by a runner that is gone (pid ${job.ownerPid})\n`,
    );
    try {
      await removeJob(job.dir, 0);
      io.stdout.write(`polyarch-executor: removed ${job.dir}\n`);
      removed.push(job);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      io.stderr.write(`polyarch-executor: could not remove ${job.dir}: ${reason}\n`);
      failed.push({ ...job, reason });
    }
  }
  return { removed, failed };
}

/**
 * Stops a job's services and namespaces and removes its directory (cleanup, a retried prepare, a job
 * left behind): what the job gave other uids is removed as root of its namespace, before the holder
 * stops. With a cgroup of its own, whatever else of the job still runs is frozen first (so it writes
 * nothing while its files go), then killed with the cgroup, which is removed.
 */
export async function removeJob(dir: string, graceSeconds: number): Promise<void> {
  const files = jobFiles(dir);
  const cgroup = await readRecordedCgroup(files.cgroup);
  const namespace = await readRecordedNamespace(files.namespace);
  if (namespace !== undefined) await stopConnector(namespace);
  await stopServices(dir, graceSeconds);
  if (cgroup !== undefined) await freezeJobCgroup(cgroup);
  if (namespace !== undefined) {
    await removeAsNamespaceRoot(namespace, dir);
    await stopJobNamespace(namespace);
  }
  if (cgroup !== undefined) await removeJobCgroup(cgroup);
  await removeTree(dir);
}
