import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type JobPaths, jobFiles, jobsDir } from "./layout.ts";

/**
 * Jobs a runner left when it died before `cleanup`: prepare records which process ran it (gitlab-runner
 * starts every stage itself) and when that process started; a later prepare finds jobs whose runner
 * is gone (no such pid, or a pid reused by a process that started at another time), stops their
 * services and namespaces and removes their directories (stages/orphans.ts), as `doctor --cleanup`
 * does. A job whose record is missing is left alone (a prepare still writing it, or an executor before
 * this one).
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

/** A job whose runner is gone. */
export interface LeftJob {
  /** The job's directory. */
  dir: string;
  /** The runner process recorded by its prepare. */
  ownerPid: number;
}

/** Every job under `stateDir` whose runner is gone (the next prepare and `doctor --cleanup` stop them). */
export async function findLeftJobs(stateDir: string): Promise<LeftJob[]> {
  const names = await readdir(jobsDir(stateDir)).catch(() => [] as string[]);
  const left: LeftJob[] = [];
  for (const name of names) {
    const files = jobFiles(join(jobsDir(stateDir), name));
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(files.owner, "utf8")) as Owner;
    } catch {
      continue;
    }
    if (typeof owner.pid !== "number" || (await startTime(owner.pid)) === owner.startTime) continue;
    left.push({ dir: files.dir, ownerPid: owner.pid });
  }
  return left;
}
