import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import { type JobNamespace, runAsNamespaceRoot } from "../sandbox/job-namespace.ts";
import type { Owners } from "./assemble.ts";

/**
 * Gives the paths of `tree` their owners as root of a full-range namespace, where uid U is the runner
 * (U = 0) or its subordinate id start + U − 1 on the host: one `chown -h` (never following a symlink)
 * per owner, fed by xargs from a NUL-separated list written in `listDir`. The paths are the ones
 * assembleRoot placed, so every directory on their way is a real one of `tree`.
 */
export async function giveOwners(
  tree: string,
  owners: Owners,
  namespace: JobNamespace,
  listDir: string,
): Promise<void> {
  const byOwner = new Map<string, string[]>();
  for (const [path, [uid, gid]] of Object.entries(owners)) {
    const owner = `${uid}:${gid}`;
    const paths = byOwner.get(owner) ?? [];
    paths.push(join(tree, path));
    byOwner.set(owner, paths);
  }
  for (const [index, [owner, paths]] of [...byOwner].entries()) {
    const list = join(listDir, `owners-${index}`);
    await writeFile(list, `${paths.join("\0")}\0`);
    const result = await runAsNamespaceRoot(namespace, [
      "xargs",
      "-0",
      "-a",
      list,
      "chown",
      "-h",
      "--",
      owner,
    ]);
    if (result.exitCode !== 0) {
      throw new PolyarchError(
        "POLYARCH_E_SANDBOX",
        `giving the image's files their owner ${owner} failed: ${result.tail}`,
        {
          hint: "polyarch-executor doctor checks newuidmap/newgidmap and the runner's subordinate ids",
        },
      );
    }
  }
}
