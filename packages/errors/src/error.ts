import { type ErrorCode, errorCatalogue } from "./catalogue.ts";
import type { ErrorKind } from "./kinds.ts";
import { redactText } from "./redact.ts";

export interface PolyarchErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

/**
 * Every failure polyarch reports is a PolyarchError with a stable `code` that callers match on,
 * a message that names the bad value, and a `hint` that says what to do. Its kind comes from
 * the catalogue, so one code always means one exit code.
 */
export class PolyarchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;

  constructor(code: ErrorCode, message: string, options: PolyarchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PolyarchError";
    this.code = code;
    this.hint = options.hint;
    this.kind = errorCatalogue[code].kind;
  }
}

export function isPolyarchError(error: unknown, code?: ErrorCode): error is PolyarchError {
  return error instanceof PolyarchError && (code === undefined || error.code === code);
}

/** An error as a report (sync, helper refresh) holds it: stable code, scrubbed message and hint. */
export interface ReportedError {
  code: ErrorCode;
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
