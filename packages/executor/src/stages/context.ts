import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { type ExecutorSettings, parseSettings, unreadableSettings } from "../settings.ts";

/** What a stage reads from and writes to; tests pass their own, production uses `processStageIo`. */
export interface StageIo {
  env: Readonly<Record<string, string | undefined>>;
  /** The job log (gitlab-runner shows the executor's stdout and stderr). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  hostname: () => string;
}

export const processStageIo: StageIo = {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  hostname,
};

export async function loadSettings(file: string): Promise<ExecutorSettings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error: unknown) {
    throw unreadableSettings(file, error);
  }
  return parseSettings(text, file);
}

export async function readJobResponse(env: StageIo["env"]): Promise<string | undefined> {
  const file = env.JOB_RESPONSE_FILE;
  if (!file) return undefined;
  return readFile(file, "utf8");
}
