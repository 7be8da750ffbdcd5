import type { Redactor } from "@polyarch/errors";
import { type DockerConfig, parseDockerConfig } from "./docker-config.ts";
import { lookupInConfig } from "./docker-config-source.ts";
import { normalizeRegistryHost } from "./host.ts";
import type { CredentialIO, CredentialResolver } from "./types.ts";

/** The name messages give the variable's content in place of a file name. */
const VARIABLE = "DOCKER_AUTH_CONFIG";

/**
 * GitLab's `DOCKER_AUTH_CONFIG` CI variable: a whole Docker `config.json` as JSON
 * (https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry),
 * read with the same rules as a config file (`credHelpers`, `credsStore`, `auths`). Parsed on first use;
 * a malformed value is an input error naming the variable, never quoting it.
 */
export function dockerAuthConfigSource(
  io: Pick<CredentialIO, "env" | "runHelper">,
  options: { redactor?: Redactor } = {},
): CredentialResolver {
  const text = io.env[VARIABLE];
  let config: DockerConfig | undefined;
  const lookup = async (target: string) => {
    if (!text) return undefined;
    config ??= parseDockerConfig(text, VARIABLE);
    return lookupInConfig(config, VARIABLE, normalizeRegistryHost(target), io, options.redactor);
  };
  return { lookup, get: async (target) => (await lookup(target))?.credential };
}
