import { readFile } from "node:fs/promises";
import {
  createCredentialResolver,
  defaultCredentialIO,
  PolyarchError,
  Redactor,
  RegistryClient,
} from "@polyarch/oci";
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
  const resolver = createCredentialResolver(
    { redactor, explicit },
    { ...defaultCredentialIO(), env: io.env },
  );
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
    insecureRegistries: flags.insecureRegistry ?? [],
    ...(ca && { ca }),
    scrubber: redactor,
    log: (message) => {
      if (flags.verbose) writeLine(io.stderr, message);
    },
  });
  return { client, redactor };
}
