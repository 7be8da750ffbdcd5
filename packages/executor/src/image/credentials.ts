import type { Redactor } from "@polyarch/errors";
import {
  type Credential,
  type CredentialIO,
  createCredentialResolver,
  defaultCredentialIO,
} from "@polyarch/oci";

/** The job's variables the resolver reads; oci's resolver has a source for each. */
const JOB_VARIABLES = [
  "DOCKER_AUTH_CONFIG",
  "CI_REGISTRY",
  "CI_REGISTRY_USER",
  "CI_REGISTRY_PASSWORD",
  "CI_JOB_TOKEN",
  "CI_DEPENDENCY_PROXY_SERVER",
  "CI_DEPENDENCY_PROXY_USER",
  "CI_DEPENDENCY_PROXY_PASSWORD",
];

/**
 * Registry credentials for pulling a job's image: the job's own first (its `DOCKER_AUTH_CONFIG`
 * variable, and `CI_REGISTRY_*`/`CI_JOB_TOKEN` for the CI registry), then the executor's own
 * (polyarch's usual sources: GitLab CI variables and Docker config files of the runner's user). The
 * job's config may not run credential helpers: they would be host programs chosen by the job.
 */
export function jobCredentials(
  variables: Readonly<Record<string, string>>,
  hostEnv: Readonly<Record<string, string | undefined>>,
  redactor: Redactor,
): (host: string) => Promise<Credential | undefined> {
  const jobEnv: Record<string, string> = {};
  for (const name of JOB_VARIABLES) if (variables[name]) jobEnv[name] = variables[name];
  const jobIo: CredentialIO = {
    env: jobEnv,
    // No config file of the runner's user stands in for the job's: only its variables count.
    readFile: async () => undefined,
    homeDir: () => "/nonexistent",
    runHelper: async (program) => ({
      exitCode: 1,
      stdout: "",
      stderr: `${program}: credential helpers named by a job's DOCKER_AUTH_CONFIG are not run`,
    }),
  };
  const job = createCredentialResolver({ redactor }, jobIo);
  const host = createCredentialResolver({ redactor }, { ...defaultCredentialIO(), env: hostEnv });
  return async (registry) => (await job.get(registry)) ?? (await host.get(registry));
}
