import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the kernel lists binfmt_misc handlers, and its switch for all of them (`status`). */
export const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

/** QEMU's names for Go's architectures, as qemu-user-static registers its binfmt_misc handlers. */
const QEMU_NAMES: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  arm: "arm",
  "386": "i386",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** The binfmt_misc handler that runs `architecture`'s binaries through QEMU (`arm64` → `qemu-aarch64`). */
export function qemuHandlerName(architecture: string): string {
  return `qemu-${QEMU_NAMES[architecture] ?? architecture}`;
}

/** The architecture a QEMU binfmt_misc handler runs (`qemu-aarch64` → `arm64`), or undefined for others. */
export function architectureOfQemuHandler(name: string): string | undefined {
  return Object.keys(QEMU_NAMES).find((architecture) => qemuHandlerName(architecture) === name);
}

/** One binfmt_misc handler as the kernel lists it: its name and whether it runs binaries now. */
export interface BinfmtHandler {
  name: string;
  enabled: boolean;
}

/** The architectures QEMU runs through enabled handlers (pure): what this host can emulate. */
export function emulatedArchitectures(handlers: readonly BinfmtHandler[]): string[] {
  return handlers.flatMap((handler) => {
    const architecture = architectureOfQemuHandler(handler.name);
    return handler.enabled && architecture !== undefined ? [architecture] : [];
  });
}

/**
 * The handlers registered in `dir`, each enabled only when binfmt_misc itself is (its `status` file) and
 * the handler's own file says `enabled` on its first line, as the kernel writes it; undefined when `dir`
 * cannot be read (binfmt_misc is not mounted, as in many containers), so callers can tell "none" from
 * "cannot say". The one reading of the host's handlers: builds, the executor and its doctor use it.
 */
export async function readBinfmtHandlers(dir = BINFMT_DIR): Promise<BinfmtHandler[] | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const firstLine = async (name: string) =>
    (await readFile(join(dir, name), "utf8").catch(() => "")).split("\n")[0]?.trim();
  const on = (await firstLine("status")) !== "disabled";
  const handlers: BinfmtHandler[] = [];
  for (const name of names.filter((n) => n !== "register" && n !== "status").sort()) {
    handlers.push({ name, enabled: on && (await firstLine(name)) === "enabled" });
  }
  return handlers;
}
