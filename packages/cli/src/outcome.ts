/**
 * How a command that ran to its end went. Commands return it with their result; exit.ts alone turns
 * it (and errors) into exit codes.
 * - `succeeded`: everything asked for is done.
 * - `partial`: a multi-item run where some items failed and the rest completed.
 * - `failed`: a multi-item run where every item failed.
 */
export type Outcome = "succeeded" | "partial" | "failed";

/** The outcome of a run of `total` items of which `failed` failed. */
export function itemsOutcome(failed: number, total: number): Outcome {
  if (failed === 0) return "succeeded";
  return failed === total ? "failed" : "partial";
}

/**
 * Wraps a command's action so the outcome it returns reaches main: commander awaits an action but
 * drops what it returns. An action that returns nothing succeeded.
 */
export type Act<O extends string = Outcome> = <A extends unknown[]>(
  action: (...args: A) => Promise<O | undefined>,
) => (...args: A) => Promise<void>;

/**
 * One run's outcome: `act` wraps the actions, `outcome()` is what the action that ran returned.
 * `polyarch-executor` records outcomes of its own kind (executor/exit.ts), with the same `succeeded`.
 */
export function outcomeRecorder<O extends string = Outcome>(): {
  act: Act<O>;
  outcome: () => O | "succeeded";
} {
  let last: O | "succeeded" = "succeeded";
  const act: Act<O> =
    (action) =>
    async (...args) => {
      last = (await action(...args)) ?? "succeeded";
    };
  return { act, outcome: () => last };
}
