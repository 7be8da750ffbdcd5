import { request } from "undici";

/** Where to push: a `Registry`, or `{ ...registry, url: proxy.url }` to go through a fault proxy. */
export interface RegistryTarget {
  url: string;
  username?: string;
  password?: string;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface AuthOptions {
  /** Credentials to use instead of the target's own, or "anonymous" for none. */
  auth?: Credentials | "anonymous";
}

/** A non-2xx answer from the registry or the token server. */
export class HttpStatusError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} answered ${status}: ${body.slice(0, 300)}`);
    this.name = "HttpStatusError";
  }
}

export interface Session {
  base: string;
  /** `Authorization` header value for `repo` with the requested actions, if the registry wants one. */
  authorization: string | undefined;
}

/**
 * Authenticates the simplest way that works: probe `/v2/`, then answer its challenge with a Basic header
 * or a bearer token fetched (GET, Basic credentials) from the challenge's realm. Deliberately independent
 * of polyarch's registry client, which is what the tests check.
 */
export async function openSession(
  target: RegistryTarget,
  repo: string,
  actions: string[],
  options: AuthOptions = {},
): Promise<Session> {
  const base = target.url.replace(/\/+$/, "");
  const credentials = resolveCredentials(target, options);
  const probe = await request(`${base}/v2/`, { method: "GET" });
  await probe.body.dump();
  if (probe.statusCode !== 401) return { base, authorization: undefined };
  const challenge = String(probe.headers["www-authenticate"] ?? "");
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`
    : undefined;
  if (/^basic/i.test(challenge)) return { base, authorization: basic };
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!/^bearer/i.test(challenge) || params.realm === undefined) {
    throw new Error(`unsupported challenge from ${base}/v2/: ${challenge}`);
  }
  const tokenUrl = new URL(params.realm);
  if (params.service !== undefined) tokenUrl.searchParams.set("service", params.service);
  tokenUrl.searchParams.set("scope", `repository:${repo}:${actions.join(",")}`);
  const response = await request(tokenUrl, { method: "GET", headers: basic ? { authorization: basic } : {} });
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new HttpStatusError("GET", tokenUrl.origin + tokenUrl.pathname, response.statusCode, text);
  }
  const { token, access_token } = JSON.parse(text) as { token?: string; access_token?: string };
  return { base, authorization: `Bearer ${token ?? access_token}` };
}

function resolveCredentials(target: RegistryTarget, options: AuthOptions): Credentials | undefined {
  if (options.auth === "anonymous") return undefined;
  if (options.auth !== undefined) return options.auth;
  if (target.username !== undefined && target.password !== undefined) {
    return { username: target.username, password: target.password };
  }
  return undefined;
}

export function authHeaders(session: Session): Record<string, string> {
  return session.authorization === undefined ? {} : { authorization: session.authorization };
}
