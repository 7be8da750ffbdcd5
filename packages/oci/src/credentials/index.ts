export { dockerAuthConfigSource } from "./docker-auth-config.ts";
export { credentialFiles, dockerConfigCredentialSource } from "./docker-config-source.ts";
export type { EcrHost, EcrSourceOptions, EcrTokenFetcher } from "./ecr.ts";
export { ecrCredentialSource, parseEcrHost } from "./ecr.ts";
export type { ExplicitCredentialOptions } from "./explicit.ts";
export { explicitCredentialSource } from "./explicit.ts";
export { gitlabCiCredentialSource } from "./gitlab-ci.ts";
export { DOCKER_HUB_CONFIG_KEY, DOCKER_HUB_HOST, normalizeRegistryHost } from "./host.ts";
export { defaultCredentialIO } from "./io.ts";
export type { CredentialResolverOptions } from "./resolver.ts";
export { createCredentialResolver } from "./resolver.ts";
export type {
  Credential,
  CredentialIO,
  CredentialResolver,
  CredentialSource,
  Env,
  HelperOutput,
  ResolvedCredential,
} from "./types.ts";
