/**
 * What a registry accepts as proof of identity.
 * - `basic`: a username and password (or a personal/job token used as the password).
 * - `identity-token`: an OAuth2 refresh token, exchanged at the registry's token endpoint
 *   (`grant_type=refresh_token`); Docker's `identitytoken`, or a helper's `<token>` username.
 * - `registry-token`: a bearer token sent to the registry as is (Docker's `registrytoken`).
 */
export type Credential =
  | { kind: "basic"; username: string; password: string }
  | { kind: "identity-token"; token: string; username?: string }
  | { kind: "registry-token"; token: string };

/** Something that knows credentials for some registries. */
export interface CredentialSource {
  /** Credentials for `host` (`registry.example.com[:port]`), or `undefined` to go anonymous. */
  get(host: string): Promise<Credential | undefined>;
}

/** A credential and where it was found, for logs (`from` never contains a secret). */
export interface ResolvedCredential {
  credential: Credential;
  /** e.g. `--username/--password`, `GitLab CI (CI_REGISTRY)`, `/home/me/.docker/config.json (credHelpers: ecr-login)`. */
  from: string;
  /** Asking the source again may give a newer credential (a helper, an ECR token): worth it after a refusal. */
  refreshable?: boolean;
}

/** A credential source that can also say where a credential came from. */
export interface CredentialResolver extends CredentialSource {
  lookup(host: string): Promise<ResolvedCredential | undefined>;
  /**
   * Asks again for `host`'s credential after the registry refused it, when its source can give a newer
   * one (see `refreshable`); `undefined` when it cannot, so the caller fails instead of retrying.
   */
  refresh?(host: string): Promise<Credential | undefined>;
  /** Whether `refresh` could give `host` a newer credential than the one it already resolved. */
  canRefresh?(host: string): boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** How a credential helper process ended, when it ran at all. */
export interface HelperOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The I/O credential lookup does; tests pass fakes, production uses `defaultCredentialIO()`. */
export interface CredentialIO {
  /** The environment: `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `CI_REGISTRY`…, and `PATH` for helpers. */
  env: Env;
  /** The file's text, or `undefined` if it does not exist. Other failures reject. */
  readFile(path: string): Promise<string | undefined>;
  homeDir(): string;
  /**
   * Runs `program` with `args`, writing `input` to its stdin, looking `program` up on `env.PATH`.
   * Resolves when the process exits (whatever its exit code); rejects when it cannot be started or
   * does not finish (the error's `code` is `ENOENT` when the program is not installed).
   */
  runHelper(program: string, args: readonly string[], input: string, env: Env): Promise<HelperOutput>;
}
