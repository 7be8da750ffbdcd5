import { execFileSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";

/** The ordinary host user the executor runs as in tests (gitlab-runner's own user in production). */
export interface HostUser {
  name: string;
  uid: number;
  gid: number;
}

export const EXECUTOR_USER = "polyarch-ci";
/** A second ordinary user .ci/system-packages creates without subordinate ids (single-uid jobs). */
export const FLAT_USER = "polyarch-ci-flat";

/** The user .ci/system-packages creates; the tests run as root and drop to it with setpriv. */
export function executorUser(name = EXECUTOR_USER): HostUser {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
  } catch {
    throw new Error(`no user ${name}: run bash .ci/system-packages (it creates it)`);
  }
  if (process.getuid?.() !== 0)
    throw new Error("the executor tests run as root, to run the executor as another user");
  return { name, uid, gid };
}

/**
 * Node for the executor user: the toolchain's node often lives under /root, which that user cannot
 * reach, so it is hard-linked (or copied) once to a shared place.
 */
export function nodeForUser(): string {
  const source = realpathSync(process.execPath);
  const target = join("/var/tmp", `polyarch-executor-node-${process.version}`, "node");
  if (existsSync(target) && statSync(target).size === statSync(source).size) return target;
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
  chmodSync(target, 0o755);
  return target;
}

/**
 * Lets the executor user reach `path` (the repository's sources): directories on the way that others
 * cannot search get the search bit only (no listing, no reading of what is in them).
 */
export function grantTraverse(user: HostUser, path: string): void {
  const canRead = () => {
    try {
      execFileSync("setpriv", [
        `--reuid=${user.uid}`,
        `--regid=${user.gid}`,
        "--clear-groups",
        "test",
        "-r",
        path,
      ]);
      return true;
    } catch {
      return false;
    }
  };
  if (canRead()) return;
  for (let dir = dirname(path); dir !== "/"; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
  }
  accessSync(path, constants.R_OK);
  if (!canRead()) throw new Error(`${user.name} cannot read ${path}; make the repository readable to it`);
}

/** The PATH gitlab-runner gives the stages in these tests. */
export const RUNNER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A PATH like the runner's on a host where `tools` are not installed: `dir` gets a link to every other
 * program of the runner's PATH (first one of a name wins), and nothing else.
 */
export function pathWithout(tools: readonly string[], dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const linked = new Set(tools);
  for (const bin of RUNNER_PATH.split(":")) {
    if (!existsSync(bin)) continue;
    for (const name of readdirSync(bin)) {
      if (linked.has(name)) continue;
      symlinkSync(join(bin, name), join(dir, name));
      linked.add(name);
    }
  }
  return dir;
}
