import { constants } from "node:fs";
import { access, readFile, statfs } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { emulatedArchitectures, readBinfmtHandlers } from "@polyarch/oci";
import type { Env } from "../routing.ts";
import { BUILDERS } from "./registry.ts";
import type { BuilderName } from "./types.ts";

/** What the machine offers a build: the builders present, and whether Buildah can use overlay storage. */
export interface BuilderFacts {
  present: BuilderName[];
  overlayUsable: boolean;
  /**
   * The architectures enabled QEMU binfmt_misc handlers run (`arm64`, `arm`), which emulated builds run
   * through; `undefined` when binfmt_misc cannot be read (not mounted in this container).
   */
  emulated?: string[];
}

/** Looks for each builder's program (an absolute path, or on `PATH`) and probes overlay support. */
export async function detectBuilders(env: Env): Promise<BuilderFacts> {
  const present: BuilderName[] = [];
  for (const builder of BUILDERS) {
    if (await findProgram(builder.program, env)) present.push(builder.name);
  }
  const handlers = await readBinfmtHandlers();
  const emulated = handlers && emulatedArchitectures(handlers);
  return { present, overlayUsable: await overlayUsable(env), ...(emulated && { emulated }) };
}

async function findProgram(program: string, env: Env): Promise<boolean> {
  const candidates = isAbsolute(program)
    ? [program]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

// CAP_SYS_ADMIN, which a kernel overlay mount needs (unprivileged CI pods do not have it).
const CAP_SYS_ADMIN = 21n;
// OVERLAYFS_SUPER_MAGIC (linux/magic.h): a kernel overlay cannot have its upper layer on an overlay.
const OVERLAYFS_MAGIC = 0x794c7630;

/**
 * Overlay works when the kernel has it, the process may mount (CAP_SYS_ADMIN) and Buildah's store is not
 * itself on an overlay (a container's root, such as a polyarch-executor job's), or when fuse-overlayfs
 * and /dev/fuse are there (else Buildah falls back to vfs: buildah.ts). A storage driver chosen by the
 * job (`STORAGE_DRIVER`, which Buildah reads itself) counts as usable: it is left alone.
 */
async function overlayUsable(env: Env): Promise<boolean> {
  if (env.STORAGE_DRIVER) return true;
  const filesystems = await readFile("/proc/filesystems", "utf8").catch(() => "");
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const capabilities = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  const mayMount = capabilities !== undefined && ((BigInt(`0x${capabilities}`) >> CAP_SYS_ADMIN) & 1n) === 1n;
  if (/\toverlay$/m.test(filesystems) && mayMount && !(await onOverlay(defaultGraphRoot(env)))) return true;
  const fuse = await access("/dev/fuse").then(
    () => true,
    () => false,
  );
  return fuse && (await findProgram("fuse-overlayfs", env));
}

/**
 * Where Buildah keeps its images without a storage.conf saying otherwise (containers-storage.conf(5)):
 * root's system store, or the user's own under XDG_DATA_HOME.
 */
function defaultGraphRoot(env: Env): string {
  if (process.getuid?.() === 0) return "/var/lib/containers/storage";
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local/share"), "containers/storage");
}

/** Whether `path`, or the nearest directory above it that exists (the store may not yet), is on an overlay. */
async function onOverlay(path: string): Promise<boolean> {
  for (let dir = path; ; dir = dirname(dir)) {
    const stats = await statfs(dir).catch(() => undefined);
    if (stats !== undefined) return stats.type === OVERLAYFS_MAGIC;
    if (dir === dirname(dir)) return false;
  }
}
