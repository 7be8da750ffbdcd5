import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSigningIdentity, type SigningIdentity, signRegistryToken, type TokenAccess } from "./jwt.ts";
import { registerSecret } from "./secrets.ts";

/**
 * What a caller may do. The token server grants, for each requested scope, the requested actions that
 * some matching grant allows (like Docker Hub: never more than was asked for).
 */
export interface TokenGrant {
  /** A user name, "*" for any signed-in user, or null for requests without credentials. */
  account: string | null;
  /** Resource type ("repository", "registry"); undefined matches any. */
  type?: string;
  /** Resource name; "*" matches any run of characters, so "team/*" covers "team/a" and "team/a/b". */
  name: string;
  /** Granted actions ("pull", "push", "delete"); "*" grants whatever was asked. */
  actions: string[];
}

export interface TokenServerOptions {
  /** user name → password. @default {} */
  users?: Record<string, string>;
  /** @default every signed-in user may do anything to anything */
  grants?: TokenGrant[];
  /**
   * Requests without credentials: "none" issues a token with no access (Docker Hub's behaviour for
   * private repositories), "pull" adds pull on every repository, "reject" answers 401.
   * @default "none"
   */
  anonymous?: "none" | "pull" | "reject";
  /** Token lifetime in seconds, reported as `expires_in`. @default 300 */
  expiresIn?: number;
  /** @default "polyarch-test-registry" */
  service?: string;
  /** @default "polyarch-test-token-server" */
  issuer?: string;
}

/** One request to the token endpoint, for asserting a client's auth flow. */
export interface TokenRequestRecord {
  method: string;
  /** `grant_type` of an OAuth2 POST; undefined for GET. */
  grantType: string | undefined;
  service: string | undefined;
  /** Every scope asked for, in order (repeated `scope` params and space-separated ones alike). */
  scopes: string[];
  /** Whether the request carried credentials (Basic header, password or refresh token). */
  hasCredentials: boolean;
  /** The authenticated user; undefined when anonymous or rejected. */
  user: string | undefined;
  /** `account` (GET) or `username` (POST) as the client sent it. */
  account: string | undefined;
  clientId: string | undefined;
  /** `offline_token=true` (GET) or `access_type=offline` (POST). */
  offline: boolean;
  status: number;
  granted: TokenAccess[];
}

export interface TokenServer {
  /** The realm to put in `auth.token.realm`: `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  certificatePem: string;
  requests: TokenRequestRecord[];
  setGrants(grants: TokenGrant[]): void;
  addUser(user: string, password: string): void;
  setAnonymous(mode: "none" | "pull" | "reject"): void;
  setExpiresIn(seconds: number): void;
  /** Signs a token directly, e.g. one that is already expired (negative `expiresIn`). */
  issue(subject: string, access: TokenAccess[], expiresIn?: number): string;
  /** Forgets recorded requests. */
  clearRequests(): void;
  stop(): Promise<void>;
}

/** Starts a token server on a free loopback port. https://distribution.github.io/distribution/spec/auth/token/ */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const identity = await createSigningIdentity();
  const users = new Map(Object.entries(options.users ?? {}));
  for (const [user, password] of users) registerSecret(password, user);
  const refreshTokens = new Map<string, string>();
  const state = {
    grants: options.grants ?? [{ account: "*", name: "*", actions: ["*"] }],
    anonymous: options.anonymous ?? "none",
    expiresIn: options.expiresIn ?? 300,
  };
  const service = options.service ?? "polyarch-test-registry";
  const issuer = options.issuer ?? "polyarch-test-token-server";
  const requests: TokenRequestRecord[] = [];
  const context: Context = { identity, users, refreshTokens, state, service, issuer, requests };

  const server = createServer((req, res) => {
    handle(context, req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: "server_error", error_description: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePem: identity.certificatePem,
    requests,
    setGrants: (grants) => {
      state.grants = grants;
    },
    addUser: (user, password) => {
      registerSecret(password, user);
      users.set(user, password);
    },
    setAnonymous: (mode) => {
      state.anonymous = mode;
    },
    setExpiresIn: (seconds) => {
      state.expiresIn = seconds;
    },
    issue: (subject, access, expiresIn = state.expiresIn) => {
      const token = signRegistryToken(identity, { issuer, audience: service, subject, access, expiresIn });
      registerSecret(token);
      return token;
    },
    clearRequests: () => {
      requests.length = 0;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Context {
  identity: SigningIdentity;
  users: Map<string, string>;
  refreshTokens: Map<string, string>;
  state: { grants: TokenGrant[]; anonymous: "none" | "pull" | "reject"; expiresIn: number };
  service: string;
  issuer: string;
  requests: TokenRequestRecord[];
}

type Login = { kind: "anonymous" } | { kind: "user"; user: string } | { kind: "denied" };

async function handle(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://token.invalid");
  if (url.pathname !== "/token" || (req.method !== "GET" && req.method !== "POST")) {
    reply(res, 404, { error: "not_found" });
    return;
  }
  const post = req.method === "POST";
  const params = post ? new URLSearchParams(await readBody(req)) : url.searchParams;
  const grantType = post ? (params.get("grant_type") ?? "") : undefined;
  const record: TokenRequestRecord = {
    method: req.method,
    grantType,
    service: params.get("service") ?? undefined,
    scopes: params.getAll("scope").flatMap((scope) => scope.split(" ").filter((s) => s !== "")),
    hasCredentials: false,
    user: undefined,
    account: (post ? params.get("username") : params.get("account")) ?? undefined,
    clientId: params.get("client_id") ?? undefined,
    offline: post ? params.get("access_type") === "offline" : params.get("offline_token") === "true",
    status: 0,
    granted: [],
  };
  context.requests.push(record);
  const finish = (status: number, body: object) => {
    record.status = status;
    reply(res, status, body);
  };

  let login: Login;
  if (post && grantType === "password") {
    record.hasCredentials = true;
    login = checkPassword(context, params.get("username"), params.get("password"));
  } else if (post && grantType === "refresh_token") {
    record.hasCredentials = true;
    const user = context.refreshTokens.get(params.get("refresh_token") ?? "");
    login = user === undefined ? { kind: "denied" } : { kind: "user", user };
  } else if (post) {
    finish(400, { error: "unsupported_grant_type" });
    return;
  } else {
    login = checkBasic(context, req.headers.authorization);
    record.hasCredentials = login.kind !== "anonymous";
  }
  if (login.kind === "denied" || (login.kind === "anonymous" && context.state.anonymous === "reject")) {
    res.setHeader("WWW-Authenticate", 'Basic realm="polyarch-test-token-server"');
    finish(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
    return;
  }
  const user = login.kind === "user" ? login.user : null;
  record.user = user ?? undefined;
  record.granted = grantAccess(context.state, user, record.scopes);
  const expiresIn = context.state.expiresIn;
  const token = signRegistryToken(context.identity, {
    issuer: context.issuer,
    audience: context.service,
    subject: user ?? "",
    access: record.granted,
    expiresIn,
  });
  registerSecret(token);
  const body: Record<string, unknown> = {
    token,
    access_token: token,
    expires_in: expiresIn,
    issued_at: new Date().toISOString(),
  };
  if (post) body.scope = record.scopes.join(" ");
  if (record.offline && user !== null && grantType !== "refresh_token") {
    const refreshToken = randomBytes(24).toString("base64url");
    registerSecret(refreshToken);
    context.refreshTokens.set(refreshToken, user);
    body.refresh_token = refreshToken;
  }
  finish(200, body);
}

function checkBasic(context: Context, header: string | undefined): Login {
  if (header === undefined) return { kind: "anonymous" };
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) return { kind: "denied" };
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return { kind: "denied" };
  return checkPassword(context, decoded.slice(0, colon), decoded.slice(colon + 1));
}

function checkPassword(context: Context, user: string | null, password: string | null): Login {
  const expected = user === null ? undefined : context.users.get(user);
  if (user === null || password === null || expected === undefined) return { kind: "denied" };
  const a = Buffer.from(password);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? { kind: "user", user } : { kind: "denied" };
}

/** For each scope `type:name:actions`, the requested actions that some grant for this caller allows. */
function grantAccess(
  state: { grants: TokenGrant[]; anonymous: string },
  user: string | null,
  scopes: string[],
): TokenAccess[] {
  const grants =
    state.anonymous === "pull"
      ? [...state.grants, { account: null, type: "repository", name: "*", actions: ["pull"] }]
      : state.grants;
  const access: TokenAccess[] = [];
  for (const scope of scopes) {
    const first = scope.indexOf(":");
    const last = scope.lastIndexOf(":");
    if (first < 0 || last === first) continue;
    const type = scope.slice(0, first);
    const name = scope.slice(first + 1, last);
    const requested = scope.slice(last + 1).split(",");
    const allowed = new Set<string>();
    for (const grant of grants) {
      const accountMatches = grant.account === user || (grant.account === "*" && user !== null);
      if (!accountMatches || (grant.type !== undefined && grant.type !== type)) continue;
      if (!globToRegExp(grant.name).test(name)) continue;
      for (const action of requested) {
        if (grant.actions.includes("*") || grant.actions.includes(action)) allowed.add(action);
      }
    }
    if (allowed.size > 0) access.push({ type, name, actions: requested.filter((a) => allowed.has(a)) });
  }
  return access;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
