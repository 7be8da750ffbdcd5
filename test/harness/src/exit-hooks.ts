// Last-resort cleanup for when a test file never reaches its `stop()`: synchronous work only, run on
// process exit. Hard kills are covered separately (registries run under `setpriv --pdeathsig`).
const hooks = new Set<() => void>();
let installed = false;

/** Runs `hook` synchronously when the process exits; returns a function that unregisters it. */
export function onProcessExit(hook: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once("exit", () => {
      for (const run of hooks) {
        try {
          run();
        } catch {
          // Best effort: one failing hook must not stop the others.
        }
      }
    });
  }
  hooks.add(hook);
  return () => hooks.delete(hook);
}
