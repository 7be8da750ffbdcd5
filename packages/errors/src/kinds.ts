/**
 * What kind of failure an error code stands for; the CLI turns each kind into one exit code.
 * - `input`: the user's input is wrong (flags, references, spec files); nothing was changed: exit 2.
 * - `operation`: the operation failed (registry, network after retries, verification): exit 1.
 */
export type ErrorKind = "input" | "operation";

/** The shape of one package's codes: each code once, with its kind and a one-line summary. */
export type CodeEntries = Record<`POLYARCH_E_${string}`, { kind: ErrorKind; summary: string }>;
