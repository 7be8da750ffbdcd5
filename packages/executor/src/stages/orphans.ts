import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StageIo } from "../host/io.ts";
import { removeTree } from "../layers/tree-fs.ts";
import { readRecordedNamespace, removeAsNamespaceRoot, stopJobNamespace } from "../sandbox/job-namespace.ts";
import { stopServices } from "../services/start.ts";
import { type JobPaths, jobFiles, jobsDir } from "../state/layout.ts";

/**
 * Jobs a runner left when it died before `cleanup`: prepare records which process ran it (gitlab-runner
 * starts every stage itself) and when that process started; a later prepare finds jobs whose runner
 * is gone (no such pid, or a pid reused by a process that started at another time), stops their
 * services and namespaces and removes their directories. A job whose record is missing is left alone
 * (a prepare still writing it, or an executor before this one).
 */

interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot; tells a reused pid apart. */
  startTime: string;
}

async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // `pid (comm) state ppid …`: comm may hold spaces, so count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

/** Records the process that ran this prepare (its parent: the runner). */
export async function recordOwner(paths: Pick<JobPaths, "owner">): Promise<void> {
  const pid = process.ppid;
  const owner: Owner = { pid, startTime: (await startTime(pid)) ?? "" };
  await writeFile(paths.owner, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
}

/** Stops and removes every job under `stateDir` whose runner is gone; never throws. */
export async function reapOrphans(stateDir: string, io: StageIo): Promise<void> {
  const names = await readdir(jobsDir(stateDir)).catch(() => [] as string[]);
  for (const name of names) {
    const files = jobFiles(join(jobsDir(stateDir), name));
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(files.owner, "utf8")) as Owner;
    } catch {
      continue;
    }
    if (typeof owner.pid !== "number" || (await startTime(owner.pid)) === owner.startTime) continue;
    io.stdout.write(
      `polyarch-executor: stopping job ${name}, left by a runner that is gone (pid ${owner.pid})\n`,
    );
    try {
      await removeJob(files.dir, 0);
    } catch (error: unknown) {
      io.stderr.write(
        `polyarch-executor: could not remove ${files.dir}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
}

/**
 * Stops a job's services and namespaces and removes its directory (cleanup, a retried prepare, a job
 * left behind): what the job gave other uids is removed as root of its namespace, before the holder
 * stops.
 */
export async function removeJob(dir: string, graceSeconds: number): Promise<void> {
  const files = jobFiles(dir);
  await stopServices(dir, graceSeconds);
  const namespace = await readRecordedNamespace(files.namespace);
  if (namespace !== undefined) {
    await removeAsNamespaceRoot(namespace, dir);
    await stopJobNamespace(namespace);
  }
  await removeTree(dir);
}
