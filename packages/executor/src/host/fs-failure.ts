import { PolyarchError } from "@polyarch/errors";

/** What Node puts on a failed file-system call (`EACCES: permission denied, mkdir '/var/lib/x'`). */
interface SystemCallError {
  code: string;
  syscall?: string;
  path?: string;
}

function isSystemCallError(error: unknown): error is SystemCallError & Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code);
}

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "the user's disk quota is used up",
  EROFS: "the file system is read-only",
  ENOENT: "a directory on the way does not exist",
  ENOTDIR: "a path on the way is not a directory",
  EEXIST: "something else already exists there",
};

/**
 * A file-system failure of a stage as the runner's log should show it: which path, what went wrong, and
 * what to do, instead of Node's `EACCES: permission denied, mkdir '…'`. Anything else is returned as it is.
 */
export function describeFileSystemFailure(error: unknown, uid: number | undefined): unknown {
  if (!isSystemCallError(error) || error.path === undefined) return error;
  const { code, path, syscall } = error;
  const user = uid === undefined ? "the runner's user" : `uid ${uid} (the runner's user)`;
  const hints: Record<string, string> = {
    EACCES: `let ${user} write there (mkdir -p <dir> && chown <runner user> <dir>), or set state_dir in the executor settings to a directory it owns; polyarch-executor doctor checks the state dir`,
    ENOSPC: `free space on the file system holding ${path}, or lower cache.max_size in the executor settings`,
    EDQUOT: `free space in ${user}'s quota, or lower cache.max_size in the executor settings`,
    EROFS: "set state_dir in the executor settings to a directory on a writable file system",
  };
  return new PolyarchError(
    "POLYARCH_E_SANDBOX",
    `cannot ${syscall ?? "use"} ${path}: ${WHY[code] ?? code} (${code})`,
    {
      hint:
        hints[code === "EPERM" ? "EACCES" : code] ??
        "polyarch-executor doctor checks what the executor needs",
      cause: error,
    },
  );
}
