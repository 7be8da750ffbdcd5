import { Command } from "commander";
import type { Io } from "./output.ts";

/** Set by a command whose outcome is not plain success (for example 3: some items failed). */
export interface RunStatus {
  exitCode: number;
}

/**
 * Declares every command and flag; each action calls `commands/<name>.ts`.
 * Commands return data or an exit code; printing and error mapping happen here and in exit.ts.
 */
export function buildProgram(io: Io, status: RunStatus = { exitCode: 0 }): Command {
  const program = new Command("polyarch")
    .description(
      "Multi-arch images and GitLab runners for mixed amd64/arm64 fleets, without privileged containers.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  void status;
  return program;
}
