import { buildProgram } from "./cli.ts";
import { reportError } from "./exit.ts";
import { type Io, processIo } from "./output.ts";

export { buildProgram };

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const status = { exitCode: 0 };
  const program = buildProgram(io, status);
  try {
    await program.parseAsync(argv);
    return status.exitCode;
  } catch (error: unknown) {
    return reportError(error, io);
  }
}
