import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type TempDir, tempDir } from "@polyarch/test-harness";

/** A temp home for child processes, so no tool reads or writes the user's own config, credentials or storage. */
export interface Sandbox {
  dir: string;
  /** HOME, DOCKER_CONFIG, REGISTRY_AUTH_FILE (an empty auth file), XDG_CONFIG_HOME and TMPDIR inside `dir`. */
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

export async function createSandbox(): Promise<Sandbox> {
  const temp: TempDir = await tempDir("polyarch-bench-");
  const dir = temp.path;
  const authFile = join(dir, "auth.json");
  for (const sub of ["docker", "config", "tmp"]) await mkdir(join(dir, sub));
  // buildah refuses a REGISTRY_AUTH_FILE that does not exist; an empty one means anonymous everywhere.
  await writeFile(authFile, '{"auths":{}}\n', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dir,
    DOCKER_CONFIG: join(dir, "docker"),
    REGISTRY_AUTH_FILE: authFile,
    XDG_CONFIG_HOME: join(dir, "config"),
    TMPDIR: join(dir, "tmp"),
    LANG: "C",
    NO_COLOR: "1",
  };
  return { dir, env, remove: () => temp.remove() };
}
