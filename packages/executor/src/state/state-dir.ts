import { access, constants, mkdir } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";

/**
 * Makes the state dir (with its parents) if it is missing and checks that this user can write it: the
 * first thing prepare does, so a state dir the runner's user cannot use is one clear system failure.
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await access(stateDir, constants.W_OK | constants.X_OK);
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    const uid = process.getuid?.();
    throw new PolyarchError(
      "POLYARCH_E_SANDBOX",
      `the executor's state dir ${stateDir} cannot be created or written by uid ${uid ?? "?"}${typeof code === "string" ? ` (${code})` : ""}`,
      {
        hint: `as root: mkdir -p ${stateDir} && chown <runner user> ${stateDir}; or set state_dir in the executor settings to a directory the runner's user owns (without settings, an ordinary user's is ~/.local/state/polyarch-executor)`,
        cause: error,
      },
    );
  }
}
