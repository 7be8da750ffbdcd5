import { isPolyarchError, type PolyarchError } from "@polyarch/errors";

/** The PolyarchError `run` throws; fails the test when it throws nothing or something else. */
export function thrown(run: () => unknown): PolyarchError {
  try {
    run();
  } catch (error: unknown) {
    if (isPolyarchError(error)) return error;
    throw error;
  }
  throw new Error("expected a PolyarchError, but nothing was thrown");
}

/** The PolyarchError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejection(promise: Promise<unknown>): Promise<PolyarchError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (isPolyarchError(error)) return error;
    throw error;
  }
  throw new Error("expected a PolyarchError, but the promise resolved");
}
