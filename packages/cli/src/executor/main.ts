import type { Io } from "../output.ts";
import { buildExecutorProgram } from "./cli.ts";
import { executorExitCode, reportExecutorError } from "./exit.ts";

/** Runs `polyarch-executor` with `argv` (as in process.argv) and resolves to the exit code. */
export async function executorMain(argv: string[], io: Io): Promise<number> {
  const { program, outcome, command } = buildExecutorProgram(io);
  try {
    await program.parseAsync(argv);
    return executorExitCode(outcome(), io);
  } catch (error: unknown) {
    return reportExecutorError(error, command(), io);
  }
}
