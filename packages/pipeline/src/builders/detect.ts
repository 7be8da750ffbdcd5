import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
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

/**
 * Overlay works when the kernel has it and the process may mount (CAP_SYS_ADMIN), or when
 * fuse-overlayfs and /dev/fuse are there (else Buildah falls back to vfs: buildah.ts). A storage driver
 * chosen by the job (`STORAGE_DRIVER`, which Buildah reads itself) counts as usable: it is left alone.
 */
async function overlayUsable(env: Env): Promise<boolean> {
  if (env.STORAGE_DRIVER) return true;
  const filesystems = await readFile("/proc/filesystems", "utf8").catch(() => "");
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const capabilities = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  const mayMount = capabilities !== undefined && ((BigInt(`0x${capabilities}`) >> CAP_SYS_ADMIN) & 1n) === 1n;
  if (/\toverlay$/m.test(filesystems) && mayMount) return true;
  const fuse = await access("/dev/fuse").then(
    () => true,
    () => false,
  );
  return fuse && (await findProgram("fuse-overlayfs", env));
}
