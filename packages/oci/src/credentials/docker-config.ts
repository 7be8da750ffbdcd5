import { PolyarchError } from "@polyarch/errors";
import { looseObject, nullish, problemsOf, recordOf, string } from "../core/shape.ts";
import type { Credential } from "./types.ts";

/**
 * One `auths` entry. Docker: https://github.com/docker/cli/blob/master/cli/config/types/authconfig.go;
 * podman/skopeo auth.json uses the same schema (containers-auth.json(5)). Lenient: other tools add keys.
 */
export interface AuthEntry {
  auth?: string | null;
  username?: string | null;
  password?: string | null;
  identitytoken?: string | null;
  registrytoken?: string | null;
  [key: string]: unknown;
}
const authEntryShape = looseObject({
  auth: nullish(string),
  username: nullish(string),
  password: nullish(string),
  identitytoken: nullish(string),
  registrytoken: nullish(string),
});

/**
 * The credential parts of Docker's `config.json`
 * (https://github.com/docker/cli/blob/master/cli/config/configfile/file.go); every other key is ignored.
 */
export interface DockerConfig {
  auths?: Record<string, AuthEntry> | null;
  credHelpers?: Record<string, string> | null;
  credsStore?: string | null;
  [key: string]: unknown;
}
const dockerConfigShape = looseObject({
  auths: nullish(recordOf(authEntryShape)),
  credHelpers: nullish(recordOf(string)),
  credsStore: nullish(string),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parses the text of a Docker `config.json` or containers `auth.json`. Throws an input error naming
 * `file` and every problem (with its path), never quoting the file's content: it holds secrets.
 */
export function parseDockerConfig(text: string, file: string): DockerConfig {
  if (text.trim() === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw configError(file, `is not valid JSON: ${describeJsonError(error)}`);
  }
  const found = problemsOf(dockerConfigShape, json);
  if (found.length > 0) {
    const problems = found.map((problem) => `${formatPath(problem.path)}: ${problem.message}`);
    throw configError(file, `is not a valid Docker config file:\n  ${problems.join("\n  ")}`);
  }
  return json as DockerConfig;
}

/**
 * The credential an `auths` entry holds, or `undefined` if it holds none (Docker Desktop writes `{}`
 * entries when a `credsStore` keeps the secret). `registrytoken` wins over `identitytoken`, which wins
 * over `auth` / `username`+`password`, as in Docker.
 */
export function authEntryCredential(entry: AuthEntry, file: string, key: string): Credential | undefined {
  if (entry.registrytoken) return { kind: "registry-token", token: entry.registrytoken };
  const basic = entry.auth ? decodeAuth(entry.auth, file, key) : undefined;
  const username = basic?.username || entry.username || undefined;
  if (entry.identitytoken) {
    return username === undefined || username === "<token>"
      ? { kind: "identity-token", token: entry.identitytoken }
      : { kind: "identity-token", token: entry.identitytoken, username };
  }
  if (basic !== undefined) return basic;
  if (entry.username && entry.password)
    return { kind: "basic", username: entry.username, password: entry.password };
  return undefined;
}

function decodeAuth(auth: string, file: string, key: string): Extract<Credential, { kind: "basic" }> {
  const trimmed = auth.trim();
  const decoded = BASE64.test(trimmed) ? Buffer.from(trimmed, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  if (colon <= 0) {
    throw configError(
      file,
      `has an invalid auths[${JSON.stringify(key)}].auth: it must be base64 of "username:password"`,
    );
  }
  return { kind: "basic", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function configError(file: string, problem: string) {
  return new PolyarchError("POLYARCH_E_CREDENTIAL_CONFIG", `${file} ${problem}`, {
    hint: `fix ${file} (or log in again with \`docker login\` / \`podman login\`), or point DOCKER_CONFIG or REGISTRY_AUTH_FILE elsewhere`,
  });
}

// V8 quotes a snippet of the input in some messages (`Unexpected token 's', ..."auth": sec"... is not valid
// JSON`); the input is a file full of secrets, so keep only the description and the position.
function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split(/,\s*(?:\.\.\.)?"/, 1)[0]!
    .split('"', 1)[0]!
    .trim();
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((part, index) =>
      typeof part === "number"
        ? `[${part}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(part))
          ? `${index === 0 ? "" : "."}${String(part)}`
          : `[${JSON.stringify(String(part))}]`,
    )
    .join("");
}
