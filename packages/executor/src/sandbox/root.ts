import { access, chmod, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { release } from "node:os";
import { PolyarchError } from "@polyarch/errors";
import { removeTree } from "../layers/tree-fs.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import { overlayWorksMarker, type RootDirs } from "../state/layout.ts";
import { type NamespaceRef, overlayProbeArgv, type RootPlan } from "./argv.ts";
import { runAsNamespaceRoot } from "./job-namespace.ts";
import { runTool } from "./process.ts";

/**
 * A job's (or a service's) root: an overlay over the cached tree when the kernel allows it, else a copy of it. Whether
 * it allows it is probed once per kernel and remembered in the state dir (the probe is a process start).
 */
export async function makeRoot(
  paths: RootDirs,
  tree: string,
  settings: Pick<ExecutorSettings, "root" | "stateDir">,
  namespace?: NamespaceRef,
): Promise<RootPlan> {
  if (settings.root !== "copy") {
    const overlay: RootPlan = {
      mode: "overlay",
      lower: tree,
      upper: paths.upper,
      work: paths.work,
      merged: paths.merged,
    };
    for (const dir of [paths.upper, paths.work, paths.merged]) await mkdir(dir, { mode: 0o700 });
    // The merged root takes the upper directory's mode: keep the image's own (0755), or no user but
    // root could enter `/` inside the job. The job's directory on the host stays 0700.
    await chmod(paths.upper, (await stat(tree)).mode & 0o7777);
    const known = overlayWorksMarker(settings.stateDir, release());
    if (
      await access(known).then(
        () => true,
        () => false,
      )
    )
      return overlay;
    const probe = await runTool(overlayProbeArgv(overlay), { timeoutMs: 30_000 });
    if (probe.exitCode === 0) {
      await writeFile(known, "");
      return overlay;
    }
    if (settings.root === "overlay") {
      throw new PolyarchError(
        "POLYARCH_E_SANDBOX",
        `this kernel does not let uid ${process.getuid?.()} mount an overlay in a user namespace: ${probe.tail}`,
        {
          hint: "set root: copy (or auto) in the executor settings; polyarch-executor doctor shows what is missing",
        },
      );
    }
    for (const dir of [paths.upper, paths.work, paths.merged]) await removeTree(dir);
  }
  const scratch = `${paths.rootfs}.tmp`;
  await removeTree(scratch);
  // --reflink=auto shares blocks on btrfs/XFS; elsewhere it copies. Hard links would let a job
  // change the cache's files, so the copy never uses them. A tree whose files have their owners (the
  // runner's full range) is copied as root of the job's namespace, which may read and keep them.
  const args = ["-a", "--reflink=auto", "--", tree, scratch];
  const copy =
    namespace?.nestedPid === undefined
      ? await runTool({ file: "cp", args })
      : await runAsNamespaceRoot(namespace, ["cp", ...args]);
  if (copy.exitCode !== 0) {
    throw new PolyarchError(
      "POLYARCH_E_SANDBOX",
      `copying the image's tree for the job failed: ${copy.tail}`,
      {
        hint: "check the free space of the executor's state_dir",
      },
    );
  }
  await rename(scratch, paths.rootfs);
  return { mode: "copy", rootfs: paths.rootfs };
}
