import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";
import type { Network, RootPlan } from "../sandbox/argv.ts";
import type { JobNamespace } from "../sandbox/job-namespace.ts";
import { type JobPaths, jobFiles } from "./layout.ts";

/** Set by the config stage's `job_env` for every later stage: the job's directory on the host. */
export const JOB_DIR_VARIABLE = "POLYARCH_EXECUTOR_JOB_DIR";

/** What prepare decided, for the run stages to start sandboxes without pulling or reading settings. */
export interface JobState {
  version: 1;
  paths: JobPaths;
  stopGraceSeconds: number;
  image: { reference: string; digest: string; platform: string; emulated: boolean; rootKey: string };
  helper: { reference: string; digest: string; root: string; rootKey: string } | undefined;
  root: RootPlan;
  user: { uid: number; gid: number };
  env: string[];
  workingDir: string;
  entrypoint: string[];
  shell: string;
  network: Network;
  /** The job's own namespaces (full-range user namespace, isolated network), when it has them. */
  namespace?: JobNamespace;
  hostname: string;
  /** The job's `/etc/hosts` when it has services (their names on loopback). */
  hostsFile?: string;
  /** The cache roots the job's services run on. */
  serviceRootKeys?: string[];
  /** The job's own cgroup, which every stage's sandbox joins (sandbox/job-cgroup.ts). */
  cgroup?: string;
}

export async function writeJobState(paths: JobPaths, state: JobState): Promise<void> {
  const temporary = `${paths.state}.${randomBytes(4).toString("hex")}`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, paths.state);
}

/** The job's state in `dir` (a JobPaths.dir), or undefined before prepare wrote it. */
export async function readJobState(dir: string): Promise<JobState | undefined> {
  const file = jobFiles(dir).state;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error: unknown) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw error;
  }
  const state = JSON.parse(text) as JobState;
  if (state.version !== 1) {
    throw new PolyarchError(
      "POLYARCH_E_JOB_NOT_PREPARED",
      `${file} was written by another executor version`,
      {
        hint: "let the runner retry the job",
      },
    );
  }
  return state;
}
