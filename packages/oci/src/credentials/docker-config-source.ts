import { join } from "node:path";
import type { Redactor } from "@polyarch/errors";
import { PolyarchError } from "@polyarch/errors";
import { authEntryCredential, type DockerConfig, parseDockerConfig } from "./docker-config.ts";
import { credentialFromHelper } from "./helper.ts";
import { findHostEntry, normalizeRegistryHost } from "./host.ts";
import type { CredentialIO, CredentialResolver, ResolvedCredential } from "./types.ts";

/**
 * The credential files consulted, in order:
 * 1. `$REGISTRY_AUTH_FILE` (podman, skopeo, buildah);
 * 2. `$DOCKER_CONFIG/config.json`, or `~/.docker/config.json` when `DOCKER_CONFIG` is unset (as in Docker);
 * 3. when `REGISTRY_AUTH_FILE` is unset, podman's defaults: `$XDG_RUNTIME_DIR/containers/auth.json`, then
 *    `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`.
 */
export function credentialFiles(io: Pick<CredentialIO, "env" | "homeDir">): string[] {
  const { env } = io;
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  files.push(join(env.DOCKER_CONFIG || join(io.homeDir(), ".docker"), "config.json"));
  if (!env.REGISTRY_AUTH_FILE) {
    if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
    files.push(join(env.XDG_CONFIG_HOME || join(io.homeDir(), ".config"), "containers", "auth.json"));
  }
  return [...new Set(files)];
}

/**
 * Credentials from Docker `config.json` and containers `auth.json` files (see `credentialFiles`). In each
 * file, in order: the helper in `credHelpers` for the host, the `credsStore` helper, then the `auths`
 * entry; the first file with a credential for the host wins. Files are read once per source.
 */
export function dockerConfigCredentialSource(
  io: CredentialIO,
  options: { redactor?: Redactor } = {},
): CredentialResolver {
  const configs = new Map<string, Promise<DockerConfig | undefined>>();
  const load = (file: string) => {
    let config = configs.get(file);
    if (config === undefined) {
      config = readConfig(io, file);
      configs.set(file, config);
    }
    return config;
  };

  const lookup = async (target: string): Promise<ResolvedCredential | undefined> => {
    const host = normalizeRegistryHost(target);
    for (const file of credentialFiles(io)) {
      const config = await load(file);
      if (config === undefined) continue;
      const found = await lookupInConfig(config, file, host, io, options.redactor);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return { lookup, get: async (target) => (await lookup(target))?.credential };
}

/** The credential `config` holds for `host`: its `credHelpers` helper, its `credsStore`, then `auths`. */
export async function lookupInConfig(
  config: DockerConfig,
  file: string,
  host: string,
  io: Pick<CredentialIO, "env" | "runHelper">,
  redactor: Redactor | undefined,
): Promise<ResolvedCredential | undefined> {
  const helpers: { helper: string; setting: string }[] = [];
  const credHelper = findHostEntry(config.credHelpers ?? undefined, host);
  if (credHelper !== undefined) {
    helpers.push({ helper: credHelper.value, setting: `credHelpers[${JSON.stringify(credHelper.key)}]` });
  }
  if (config.credsStore) helpers.push({ helper: config.credsStore, setting: "credsStore" });
  for (const { helper, setting } of helpers) {
    const configuredIn = `${setting} in ${file}`;
    const credential = await credentialFromHelper(helper, host, { io, configuredIn, redactor });
    // A helper is asked again when its credential is refused mid-run (short-lived tokens, e.g. ecr-login).
    if (credential !== undefined)
      return { credential, from: `${file} (${setting}: ${helper})`, refreshable: true };
  }

  const entry = findHostEntry(config.auths ?? undefined, host);
  if (entry === undefined) return undefined;
  const credential = authEntryCredential(entry.value, file, entry.key);
  return credential && { credential, from: `${file} (auths[${JSON.stringify(entry.key)}])` };
}

async function readConfig(io: CredentialIO, file: string): Promise<DockerConfig | undefined> {
  let text: string | undefined;
  try {
    text = await io.readFile(file);
  } catch (error: unknown) {
    const code = (error as { code?: unknown } | null)?.code;
    throw new PolyarchError(
      "POLYARCH_E_CREDENTIAL_CONFIG",
      `could not read ${file}${typeof code === "string" ? ` (${code})` : ""}`,
      { hint: `make ${file} readable, or point DOCKER_CONFIG or REGISTRY_AUTH_FILE elsewhere`, cause: error },
    );
  }
  return text === undefined ? undefined : parseDockerConfig(text, file);
}
