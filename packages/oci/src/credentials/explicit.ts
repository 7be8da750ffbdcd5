import { PolyarchError } from "@polyarch/errors";
import { normalizeRegistryHost } from "./host.ts";
import type { CredentialResolver } from "./types.ts";

/** `--username/--password` as given on a command line, for the one registry the command talks to. */
export interface ExplicitCredentialOptions {
  /** The registry the credentials are for; no other host ever receives them. */
  host: string;
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * Credentials given explicitly, offered to `options.host` only (Docker Hub aliases and case folded), so a
 * copy between two registries never sends one registry's password to the other. Throws an input error
 * when only one of username and password is given.
 */
export function explicitCredentialSource(options: ExplicitCredentialOptions): CredentialResolver {
  const { username, password } = options;
  if (username === undefined && password === undefined) return noCredentials;
  if (!username || !password) {
    const [given, missing] = username ? ["--username", "--password"] : ["--password", "--username"];
    throw new PolyarchError("POLYARCH_E_CREDENTIAL_FLAGS", `${given} was given without ${missing}`, {
      hint: `give both ${given} and ${missing}, or neither to use Docker's config.json or CI variables`,
    });
  }
  const host = normalizeRegistryHost(options.host);
  const resolved = {
    credential: { kind: "basic", username, password } as const,
    from: "--username/--password",
  };
  const lookup = async (target: string) => (normalizeRegistryHost(target) === host ? resolved : undefined);
  return { lookup, get: async (target) => (await lookup(target))?.credential };
}

const noCredentials: CredentialResolver = {
  lookup: async () => undefined,
  get: async () => undefined,
};
