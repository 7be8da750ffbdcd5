// Only the error and redaction modules: mapping an error must not load the registry client.
import { isPolyarchError, redactText } from "@polyarch/errors";
import { CommanderError } from "commander";
import type { Outcome } from "./outcome.ts";
import { type Io, writeLine } from "./output.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_PARTIAL = 3;

/** The exit code of a command that ran to its end: 0, 3 when some items failed, 1 when all did. */
export function exitCodeOf(outcome: Outcome): number {
  if (outcome === "partial") return EXIT_PARTIAL;
  return outcome === "failed" ? EXIT_FAILED : EXIT_OK;
}

/**
 * With exitCodeOf, the one place that turns an error into a message on stderr and an exit code. Every line goes
 * through `redactText`: messages of errors polyarch did not make (and the causes and stacks
 * POLYARCH_DEBUG shows) may quote a URL or header with a secret in it.
 */
export function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help).
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  const print = (text: string): void => writeLine(io.stderr, redactText(text));
  if (isPolyarchError(error)) {
    print(`polyarch: ${error.message}`);
    if (error.hint) print(`hint: ${error.hint}`);
    if (io.env.POLYARCH_DEBUG && error.cause !== undefined) print(`cause: ${describe(error.cause)}`);
    return error.kind === "input" ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
  print(`polyarch: internal error: ${describe(error)}`);
  if (io.env.POLYARCH_DEBUG && error instanceof Error && error.stack) print(error.stack);
  return EXIT_FAILED;
}

function describe(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
