import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { RunnerHost } from "../../test/executor/support/runner.ts";

/**
 * The floor the executor's job start is compared with: bare `bwrap` running `true` on the image root a
 * prepared job left in `host`'s cache, as the runner's user; one warm-up round, then `rounds` timed ones.
 */
export async function bareBwrapTimes(host: RunnerHost, rounds: number): Promise<number[]> {
  const roots = join(host.stateDir, "roots");
  const root = join(
    roots,
    (await readdir(roots)).find((name) => name.startsWith("sha256-")) as string,
    "tree",
  );
  const times: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const start = performance.now();
    await execa("setpriv", [
      `--reuid=${host.user.uid}`,
      `--regid=${host.user.gid}`,
      "--clear-groups",
      ...["bwrap", "--unshare-all", "--share-net", "--die-with-parent", "--bind", root, "/"],
      ...["--proc", "/proc", "--dev", "/dev", "/bin/sh", "-c", "true"],
    ]);
    if (round > 0) times.push(performance.now() - start);
  }
  return times;
}
