import { redactText } from "./redact.ts";

/**
 * Every failure polyarch reports is a PolyarchError with a stable `code` that callers match on,
 * a message that names the bad value, and a `hint` that says what to do. The CLI maps the
 * error's `kind` to an exit code in one place.
 */
export type ErrorKind =
  /** The user's input is wrong (flags, references, spec files): exit 2. */
  | "input"
  /** The operation failed (registry, network after retries, verification): exit 1. */
  | "operation";

export interface PolyarchErrorOptions {
  hint?: string;
  cause?: unknown;
  kind?: ErrorKind;
}

export class PolyarchError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;

  constructor(code: `POLYARCH_E_${string}`, message: string, options: PolyarchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PolyarchError";
    this.code = code;
    this.hint = options.hint;
    this.kind = options.kind ?? "operation";
  }
}

/** A PolyarchError for bad user input (exit code 2). */
export function inputError(code: `POLYARCH_E_${string}`, message: string, hint?: string): PolyarchError {
  return new PolyarchError(code, message, { hint, kind: "input" });
}

export function isPolyarchError(error: unknown, code?: string): error is PolyarchError {
  return error instanceof PolyarchError && (code === undefined || error.code === code);
}

/** An error as a report (sync, helper refresh) holds it: stable code, scrubbed message and hint. */
export interface ReportedError {
  code: string;
  message: string;
  hint?: string;
}

/** Messages of errors polyarch did not make may quote a signed URL or a header: both are scrubbed. */
export function reportedError(error: unknown): ReportedError {
  if (isPolyarchError(error)) {
    return {
      code: error.code,
      message: redactText(error.message),
      ...(error.hint !== undefined && { hint: redactText(error.hint) }),
    };
  }
  return {
    code: "POLYARCH_E_INTERNAL",
    message: redactText(error instanceof Error ? error.message : String(error)),
  };
}
