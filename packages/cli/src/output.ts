import type { Writable } from "node:stream";

/** Where a command writes: results to stdout, progress and logs to stderr. Injected so tests can capture both. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Fires when the command is interrupted (the launcher's SIGINT/SIGTERM): nothing more is written. */
  signal?: AbortSignal;
}

export const processIo: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
};

export function writeLine(stream: Writable, text = ""): void {
  stream.write(text.endsWith("\n") ? text : `${text}\n`);
}
