import type { ExecutorSettings, StageIo } from "@polyarch/executor/run-stages";
import { processStageIo } from "@polyarch/executor/run-stages";
import type { Io } from "../../output.ts";

/** `--settings <file>`, which every stage takes; without it the executor's defaults apply. */
export interface StageOptions {
  settings?: string;
}

/** The stage's view of the process: the command's streams and environment, the host's name. */
export function stageIoOf(io: Io): StageIo {
  return { ...processStageIo, env: io.env, stdout: io.stdout, stderr: io.stderr };
}

/**
 * The settings, read when first asked for: run and cleanup usually find the job without them (the
 * config stage's job_env), and then never load YAML or zod.
 */
export function settingsOf(options: StageOptions, io: Io): () => Promise<ExecutorSettings> {
  return async () => {
    const { loadSettings, processReader } = await import("@polyarch/executor/settings");
    return loadSettings(options.settings, processReader(io.env));
  };
}
