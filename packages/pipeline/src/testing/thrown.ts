import { isPolyarchError, type PolyarchError } from "@polyarch/oci";

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
