import { configKeyHost, normalizeRegistryHost } from "./host.ts";
import type { CredentialResolver, Env, ResolvedCredential } from "./types.ts";

/** The user GitLab accepts with a job token as the password. */
const JOB_TOKEN_USER = "gitlab-ci-token";

/**
 * The registries a GitLab CI job is handed credentials for, through its predefined variables
 * (https://docs.gitlab.com/ci/variables/predefined_variables/): the project's container registry
 * (`CI_REGISTRY`, `CI_REGISTRY_USER`, `CI_REGISTRY_PASSWORD`) and the dependency proxy
 * (`CI_DEPENDENCY_PROXY_SERVER`, `CI_DEPENDENCY_PROXY_USER`, `CI_DEPENDENCY_PROXY_PASSWORD`). When the
 * password variable is missing, `CI_JOB_TOKEN` with user `gitlab-ci-token` is used instead.
 */
export function gitlabCiCredentialSource(env: Env): CredentialResolver {
  const lookup = async (target: string): Promise<ResolvedCredential | undefined> => {
    const host = normalizeRegistryHost(target);
    return (
      ciCredential(env, host, "CI_REGISTRY", "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD") ??
      ciCredential(
        env,
        host,
        "CI_DEPENDENCY_PROXY_SERVER",
        "CI_DEPENDENCY_PROXY_USER",
        "CI_DEPENDENCY_PROXY_PASSWORD",
      )
    );
  };
  return { lookup, get: async (target) => (await lookup(target))?.credential };
}

function ciCredential(
  env: Env,
  host: string,
  serverVariable: string,
  userVariable: string,
  passwordVariable: string,
): ResolvedCredential | undefined {
  const server = env[serverVariable];
  if (!server || configKeyHost(server) !== host) return undefined;
  const password = env[passwordVariable];
  if (password) {
    return {
      credential: { kind: "basic", username: env[userVariable] || JOB_TOKEN_USER, password },
      from: `GitLab CI (${serverVariable}, ${userVariable}, ${passwordVariable})`,
    };
  }
  const jobToken = env.CI_JOB_TOKEN;
  if (jobToken) {
    return {
      credential: { kind: "basic", username: JOB_TOKEN_USER, password: jobToken },
      from: `GitLab CI (${serverVariable}, CI_JOB_TOKEN)`,
    };
  }
  return undefined;
}
