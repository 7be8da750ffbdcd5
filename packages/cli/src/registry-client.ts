import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PolyarchError, Redactor } from "@polyarch/errors";
import { createCredentialResolver, defaultCredentialIO, RegistryClient } from "@polyarch/oci";
import { clientOptionsFromEnv } from "./client-env.ts";
import { type Io, writeLine } from "./output.ts";
import type { RegistryFlags } from "./registry-flags.ts";

/**
 * Builds the registry client a command uses: credentials from flags (for `credentialsHost` only),
 * GitLab CI variables and Docker's config files; every secret registered for redaction.
 */
export async function createClient(flags: RegistryFlags, io: Io, credentialsHost: string | undefined) {
  const redactor = new Redactor();
  const password = flags.password ?? (flags.username ? io.env.POLYARCH_PASSWORD : undefined);
  const explicit =
    credentialsHost === undefined ? undefined : { host: credentialsHost, username: flags.username, password };
  if (credentialsHost === undefined && (flags.username || flags.password)) {
    throw new PolyarchError(
      "POLYARCH_E_CREDENTIAL_FLAGS",
      "--username/--password need a registry reference to apply to",
    );
  }
  const env = await dockerCfgEnv(flags.dockerCfg, io);
  const resolver = createCredentialResolver({ redactor, explicit }, { ...defaultCredentialIO(), env });
  let ca: Buffer | undefined;
  if (flags.caFile) {
    try {
      ca = await readFile(flags.caFile);
    } catch {
      throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--ca-file ${flags.caFile} cannot be read`, {
        hint: "give the path of a PEM file",
      });
    }
  }
  const client = new RegistryClient({
    credentials: (host) => resolver.get(host),
    refreshCredentials: resolver,
    insecureRegistries: flags.insecureRegistry ?? [],
    plainHttp: flags.plainHttp ?? false,
    skipTlsVerify: flags.insecure ?? false,
    ...(ca && { ca }),
    scrubber: redactor,
    ...clientOptionsFromEnv(io.env),
    ...(io.signal && { signal: io.signal }),
    log: (message) => {
      if (flags.verbose || flags.debug) writeLine(io.stderr, message);
    },
  });
  return { client, redactor, resolver };
}

/**
 * manifest-tool's `--docker-cfg`: a directory is where config.json is (as DOCKER_CONFIG), a file is
 * the credentials file itself (as REGISTRY_AUTH_FILE, which is read first). A path that does not
 * exist is refused, as manifest-tool refuses it.
 */
async function dockerCfgEnv(path: string | undefined, io: Io): Promise<NodeJS.ProcessEnv> {
  if (path === undefined) return io.env;
  const absolute = resolve(io.cwd, path);
  const found = await stat(absolute).catch(() => undefined);
  if (found === undefined) {
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--docker-cfg ${path} does not exist`, {
      hint: "give the directory holding config.json (like ~/.docker) or a config.json file itself",
    });
  }
  return found.isDirectory()
    ? { ...io.env, DOCKER_CONFIG: absolute }
    : { ...io.env, REGISTRY_AUTH_FILE: absolute, DOCKER_CONFIG: join(absolute, "..") };
}
