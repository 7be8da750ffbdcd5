// Only the error and redaction modules and the executor's lean entry: mapping an error must not load the registry client.

import { isPolyarchError, redactText } from "@polyarch/errors";
import { describeFileSystemFailure, failureExitCodes } from "@polyarch/executor/run-stages";
import { CommanderError } from "commander";
import type { Io } from "../output.ts";

/**
 * How a polyarch-executor command that ran to its end went: `build-failed` is the job's script failing
 * (run), `checks-failed` a host missing something (doctor).
 */
export type ExecutorOutcome = "succeeded" | "build-failed" | "checks-failed";

/**
 * With reportExecutorError, the one place polyarch-executor's outcomes become exit codes: a script's
 * failure exits with BUILD_FAILURE_EXIT_CODE, doctor's missing pieces with 1.
 */
export function executorExitCode(outcome: ExecutorOutcome, io: Io): number {
  if (outcome === "build-failed") return failureExitCodes(io.env).build;
  return outcome === "checks-failed" ? 1 : 0;
}

/**
 * An error of `command` as the job log shows it, and its exit code:
 * - a bad command line (commander already printed it): 2, `--help`: 0;
 * - cleanup: 0 whatever happened, so it never fails a job (it wrote its problems to the log itself);
 * - doctor: 2 for bad input (an invalid settings file), else 1;
 * - config, prepare, run: SYSTEM_FAILURE_EXIT_CODE.
 * File-system failures are described with their path and a fix, and every line is redacted.
 */
export function reportExecutorError(thrown: unknown, command: string | undefined, io: Io): number {
  if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? 0 : 2;
  if (command === "cleanup") return 0;
  const error = describeFileSystemFailure(thrown, process.getuid?.());
  io.stderr.write(
    `polyarch-executor: ${redactText(error instanceof Error ? error.message : String(error))}\n`,
  );
  if (isPolyarchError(error) && error.hint) io.stderr.write(`hint: ${redactText(error.hint)}\n`);
  if (command === "doctor") return isPolyarchError(error) && error.kind === "input" ? 2 : 1;
  return failureExitCodes(io.env).system;
}
