import { hostname } from "node:os";

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
