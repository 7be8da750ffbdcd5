import { PolyarchError } from "@polyarch/errors";

/**
 * The error every operation fails with once its signal has fired (SIGINT or SIGTERM in the CLI); the
 * launcher turns it into exit 130 or 143.
 */
export function interruptedError(signal: AbortSignal): PolyarchError {
  const reason: unknown = signal.reason;
  const name = typeof reason === "string" ? reason : reason instanceof Error ? reason.message : "a signal";
  return new PolyarchError("POLYARCH_E_INTERRUPTED", `interrupted by ${name}; nothing more was written`, {
    hint: "run the same command again to finish: what was copied is kept, and tags are written last",
  });
}

/** Throws interruptedError when `signal` has fired: the check before anything is written. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interruptedError(signal);
}
