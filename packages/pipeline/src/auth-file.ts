import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Credential } from "@polyarch/oci";

/** Docker Hub's credentials go under both keys: Kaniko and BuildKit look up the first, Buildah the second. */
const DOCKER_HUB_KEYS = ["https://index.docker.io/v1/", "docker.io"];

/**
 * The `config.json` a builder reads (pure): one `auths` entry per registry with a credential, in Docker's
 * format (https://github.com/docker/cli/blob/master/cli/config/types/authconfig.go), which Kaniko, Buildah
 * and BuildKit all read.
 */
export function renderAuthConfig(entries: ReadonlyArray<{ host: string; credential: Credential }>): string {
  const auths: Record<string, Record<string, string>> = {};
  for (const { host, credential } of entries) {
    const entry: Record<string, string> =
      credential.kind === "basic"
        ? { auth: Buffer.from(`${credential.username}:${credential.password}`).toString("base64") }
        : credential.kind === "identity-token"
          ? {
              ...(credential.username && { username: credential.username }),
              identitytoken: credential.token,
            }
          : { registrytoken: credential.token };
    for (const key of host === "docker.io" ? DOCKER_HUB_KEYS : [host]) auths[key] = entry;
  }
  return `${JSON.stringify({ auths }, null, 2)}\n`;
}

export interface AuthDir {
  /** The private directory (mode 0700): `DOCKER_CONFIG` for the builder. */
  path: string;
  remove(): Promise<void>;
}

/**
 * Writes `config.json` with mode 0600 into a fresh private directory under the temp dir. The directory
 * does not outlive the process: an exit that cannot wait for `remove` (a second signal) removes it on
 * the way out.
 */
export async function writeAuthDir(config: string, parent = tmpdir()): Promise<AuthDir> {
  const path = await mkdtemp(join(parent, "polyarch-auth-"));
  const removeOnExit = () => rmSync(path, { recursive: true, force: true });
  process.once("exit", removeOnExit);
  const remove = async () => {
    await rm(path, { recursive: true, force: true });
    process.off("exit", removeOnExit);
  };
  try {
    await writeFile(join(path, "config.json"), config, { mode: 0o600, flag: "wx" });
  } catch (error: unknown) {
    await remove();
    throw error;
  }
  return { path, remove };
}
