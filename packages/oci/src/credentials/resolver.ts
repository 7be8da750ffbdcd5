import type { Redactor } from "@polyarch/errors";
import { dockerAuthConfigSource } from "./docker-auth-config.ts";
import { dockerConfigCredentialSource } from "./docker-config-source.ts";
import { type EcrSourceOptions, ecrCredentialSource } from "./ecr.ts";
import { type ExplicitCredentialOptions, explicitCredentialSource } from "./explicit.ts";
import { gitlabCiCredentialSource } from "./gitlab-ci.ts";
import { normalizeRegistryHost } from "./host.ts";
import { defaultCredentialIO } from "./io.ts";
import type { Credential, CredentialIO, CredentialResolver, ResolvedCredential } from "./types.ts";

export interface CredentialResolverOptions {
  /** `--username/--password`, for their one host. */
  explicit?: ExplicitCredentialOptions | undefined;
  /** Every credential is registered here as it is resolved, so later output can be scrubbed. */
  redactor: Redactor;
  /** How ECR tokens are fetched (tests); the AWS SDK by default. */
  ecr?: EcrSourceOptions;
}

/**
 * Resolves registry credentials the way the README describes, first match wins:
 * 1. explicit `--username/--password`, for their host only;
 * 2. GitLab's `DOCKER_AUTH_CONFIG` variable (a whole config.json);
 * 3. GitLab CI variables (`CI_REGISTRY`…, `CI_DEPENDENCY_PROXY_SERVER`…, `CI_JOB_TOKEN`), for their host;
 * 4. Docker/podman credential files, their `credHelpers`, `credsStore` and `auths`;
 * 5. for `*.dkr.ecr.*.amazonaws.com` hosts, an ECR token from the AWS SDK's default credential chain.
 * No match means anonymous access (`undefined`). Results are cached per host for the resolver's life;
 * `refresh` asks a helper or ECR again when the registry refused what it gave.
 */
export function createCredentialResolver(
  options: CredentialResolverOptions,
  io: CredentialIO = defaultCredentialIO(),
): Required<CredentialResolver> {
  const { redactor, explicit } = options;
  // Known before any lookup, and must not show up even if it is never used.
  redactor.add(explicit?.password);
  if (explicit?.username && explicit.password) redactor.add(`${explicit.username}:${explicit.password}`);
  const sources = [
    ...(explicit ? [explicitCredentialSource(explicit)] : []),
    dockerAuthConfigSource(io, { redactor }),
    gitlabCiCredentialSource(io.env),
    dockerConfigCredentialSource(io, { redactor }),
    ecrCredentialSource(options.ecr),
  ];
  const cache = new Map<string, Promise<ResolvedCredential | undefined>>();
  const settled = new Map<string, ResolvedCredential | undefined>();

  const resolve = async (host: string): Promise<ResolvedCredential | undefined> => {
    for (const source of sources) {
      const found = await source.lookup(host);
      if (found !== undefined) {
        registerCredential(redactor, found.credential);
        settled.set(host, found);
        return found;
      }
    }
    settled.set(host, undefined);
    return undefined;
  };

  const lookup = (target: string): Promise<ResolvedCredential | undefined> => {
    const host = normalizeRegistryHost(target);
    let result = cache.get(host);
    if (result === undefined) {
      result = resolve(host);
      cache.set(host, result);
      // A failure (a helper that is not installed yet, say) is not remembered: the next call tries again.
      result.catch(() => cache.delete(host));
    }
    return result;
  };
  const canRefresh = (target: string): boolean =>
    settled.get(normalizeRegistryHost(target))?.refreshable === true;
  const refresh = async (target: string): Promise<Credential | undefined> => {
    if (!canRefresh(target)) return undefined;
    const host = normalizeRegistryHost(target);
    cache.delete(host);
    settled.delete(host);
    return (await lookup(host))?.credential;
  };
  return { lookup, canRefresh, refresh, get: async (target) => (await lookup(target))?.credential };
}

/** Registers the secrets of `credential`, including the `user:pass` pair a Basic header encodes. */
function registerCredential(redactor: Redactor, credential: Credential): void {
  switch (credential.kind) {
    case "basic":
      redactor.add(credential.password).add(`${credential.username}:${credential.password}`);
      return;
    case "identity-token":
    case "registry-token":
      redactor.add(credential.token);
      return;
  }
}
