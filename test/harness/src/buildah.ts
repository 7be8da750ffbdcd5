import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { tempDir } from "./temp.ts";

/**
 * Containers storage of its own under `dir` (vfs: no overlay mounts, nothing shared with the host), for
 * a buildah that polyarch runs itself: writes `dir/storage.conf` and returns the environment pointing
 * buildah at it.
 */
export async function vfsStorage(dir: string): Promise<{ CONTAINERS_STORAGE_CONF: string }> {
  const storage = join(dir, "storage");
  const conf = join(dir, "storage.conf");
  await writeFile(
    conf,
    `[storage]\ndriver = "vfs"\nrunroot = "${storage}/run"\ngraphroot = "${storage}/root"\n`,
  );
  return { CONTAINERS_STORAGE_CONF: conf };
}

/** A buildah with storage of its own, for reading back what polyarch wrote. */
export interface Buildah {
  /** The temp directory holding its storage root, run root, config and TMPDIR. */
  dir: string;
  /** Runs `buildah ARGS` against this storage; resolves to stdout. Fails with buildah's last lines. */
  run(args: string[]): Promise<string>;
  /**
   * Runs `command` in `container` (chroot isolation) with `shell` (`/bin/sh` unless given) and resolves to
   * all it wrote to stdout. Fails with its stderr and exit code. Its stdout and stderr go to files in a
   * directory bind-mounted from the host, not through Buildah: Buildah 1.28's chroot runner now and then
   * drops all of a short command's output and exits 0 (an `echo` run 150 times on a loaded 2-core
   * machine: 6 printed nothing; written to a bind-mounted file, none was lost).
   */
  runIn(container: string, command: string[], shell?: string): Promise<string>;
  /** Deletes the storage (vfs layers are plain files; buildah needs no unmount for them). */
  remove(): Promise<void>;
}

/**
 * Starts a sandboxed buildah: its own `--root`/`--runroot` with the vfs driver (no overlay mounts,
 * no shared state with the host or other test files), an empty auth file, and a registries.conf that
 * marks `insecureRegistries` (the loopback `host:port`s) as plain HTTP, because `buildah manifest
 * inspect` has no `--tls-verify` flag. Commands that take `--tls-verify=false` should still pass it.
 */
export async function startBuildah(insecureRegistries: string[]): Promise<Buildah> {
  const temp = await tempDir("polyarch-buildah-");
  const dir = temp.path;
  await mkdir(join(dir, "tmp"));
  const authFile = join(dir, "auth.json");
  // buildah refuses a REGISTRY_AUTH_FILE that does not exist; an empty one means anonymous everywhere.
  await writeFile(authFile, '{"auths":{}}\n', { mode: 0o600 });
  const registriesConf = join(dir, "registries.conf");
  await writeFile(registriesConf, registriesConfText(insecureRegistries));
  const global = buildahGlobalArgs(dir, registriesConf);
  const env = {
    HOME: dir,
    TMPDIR: join(dir, "tmp"),
    REGISTRY_AUTH_FILE: authFile,
    XDG_CONFIG_HOME: join(dir, "config"),
    DOCKER_CONFIG: join(dir, "docker"),
  };
  const run = async (args: string[]) => {
    const result = await execa("buildah", [...global, ...args], { env, reject: false });
    if (result.exitCode !== 0) {
      const tail = String(result.stderr).trim().split("\n").slice(-5).join("\n");
      throw new Error(`buildah ${args.join(" ")} exited ${result.exitCode}: ${tail}`);
    }
    return String(result.stdout);
  };
  return {
    dir,
    run,
    async runIn(container, command, shell = "/bin/sh") {
      const output = await mkdtemp(join(dir, "output-"));
      // Writable by the image's user, whoever it is.
      await chmod(output, 0o777);
      const redirected = `exec "$@" >${RUN_OUTPUT}/stdout 2>${RUN_OUTPUT}/stderr`;
      const args = ["run", "--isolation", "chroot", "--volume", `${output}:${RUN_OUTPUT}`, container];
      try {
        await run([...args, "--", shell, "-c", redirected, shell, ...command]);
      } catch (error) {
        const stderr = await readFile(join(output, "stderr"), "utf8").catch(() => "");
        throw new Error(`${command.join(" ")} in ${container}: ${stderr.trim()}`, { cause: error });
      }
      return readFile(join(output, "stdout"), "utf8");
    },
    remove: () => temp.remove(),
  };
}

/** Where runIn mounts its output directory in the container. */
const RUN_OUTPUT = "/polyarch-run-output";

/** The flags before the subcommand that keep buildah inside `dir`. */
function buildahGlobalArgs(dir: string, registriesConf: string): string[] {
  return [
    "--root",
    join(dir, "root"),
    "--runroot",
    join(dir, "run"),
    "--storage-driver",
    "vfs",
    "--registries-conf",
    registriesConf,
  ];
}

/** registries.conf (v2 format) naming each loopback registry as insecure (plain HTTP). */
function registriesConfText(insecureRegistries: string[]): string {
  return insecureRegistries.map((host) => `[[registry]]\nlocation = "${host}"\ninsecure = true\n`).join("\n");
}
