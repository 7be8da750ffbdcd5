import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import type { Dispatcher } from "undici";
import type { Credential as RegistryCredential } from "../credentials/types.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import { mergeScopes } from "./scopes.ts";

export type CredentialLookup = (host: string) => Promise<RegistryCredential | undefined>;

export interface AuthOptions {
  credentials?: CredentialLookup;
  /** Asks for a newer credential after the registry refused one; `canRefresh` says whether it may help. */
  refresh?: { canRefresh(host: string): boolean; refresh: CredentialLookup };
  /** Sends token requests; the same transport as registry requests, without the auth layer. */
  dispatcher: Dispatcher;
  /** Called with every secret the manager learns, so logs and errors can be scrubbed. */
  onSecret?: (secret: string) => void;
  now?: () => number;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

const CLIENT_ID = "polyarch";
/** Tokens are refreshed this long before they expire, so none expires mid-request. */
const EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default when a token response has no expires_in. */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Authorization for registry requests: Basic, and Bearer tokens from the registry's token service
 * (https://distribution.github.io/distribution/spec/auth/token/ and …/oauth/), cached per host
 * and scope set until they expire. It remembers each host's challenge so later requests fetch
 * their token before asking, instead of collecting a 401 first.
 */
export class AuthManager {
  readonly #options: AuthOptions;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #credentials = new Map<string, Promise<RegistryCredential | undefined>>();
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: AuthOptions) {
    this.#options = options;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  credentialFor(host: string): Promise<RegistryCredential | undefined> {
    const cached = this.#credentials.get(host);
    if (cached) return cached;
    const lookup: Promise<RegistryCredential | undefined> = (
      this.#options.credentials?.(host) ?? Promise.resolve(undefined)
    ).then(
      (credential) => {
        if (credential) for (const secret of secretsOf(credential)) this.#options.onSecret?.(secret);
        return credential;
      },
      (error: unknown) => {
        // Forget a failed lookup so the next request asks again (a helper may be up by then).
        if (this.#credentials.get(host) === lookup) this.#credentials.delete(host);
        throw error;
      },
    );
    this.#credentials.set(host, lookup);
    return lookup;
  }

  /** True when the credential `host` was given may be replaced by a newer one (an ECR token, a helper's). */
  canRefresh(host: string): boolean {
    return this.#options.refresh?.canRefresh(host) ?? false;
  }

  /**
   * Replaces `host`'s credential with a newer one after a refusal, forgetting tokens made with the old
   * one. False when there is no newer credential (the request is not worth sending again).
   */
  async refresh(host: string): Promise<boolean> {
    const fresh = await this.#options.refresh?.refresh(host);
    if (fresh === undefined) return false;
    for (const secret of secretsOf(fresh)) this.#options.onSecret?.(secret);
    this.#credentials.set(host, Promise.resolve(fresh));
    for (const key of [...this.#tokens.keys()]) if (key.startsWith(`${host} `)) this.#tokens.delete(key);
    return true;
  }

  /** The Authorization header to send up front, when the host's scheme is known; else undefined. */
  async headerFor(host: string, scopes: string[]): Promise<string | undefined> {
    const challenge = this.#challenges.get(host);
    if (!challenge) return undefined;
    return this.#authorize(host, challenge, scopes);
  }

  /** True when a 401 from this host is worth answering: a Bearer challenge, or Basic with credentials. */
  canAnswer(challenges: Challenge[]): boolean {
    return challenges.some((c) => c.scheme === "bearer" || c.scheme === "basic");
  }

  /** Answers a 401/403 challenge: returns the header to resend the request with. */
  async answer(host: string, header: string | string[] | undefined, scopes: string[]): Promise<string> {
    const challenges = parseChallenges(header);
    const challenge =
      challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
    if (!challenge) {
      throw new PolyarchError(
        "POLYARCH_E_UNAUTHORIZED",
        `${host} asked for authentication polyarch does not speak`,
        {
          hint: "polyarch supports Basic and Bearer token authentication",
        },
      );
    }
    this.#challenges.set(host, challenge);
    const wanted = challenge.params.scope ? mergeScopes([...scopes, challenge.params.scope]) : scopes;
    // A fresh token: the one we sent was refused or lacked a scope.
    this.#tokens.delete(tokenKey(host, wanted));
    return this.#authorize(host, challenge, wanted);
  }

  async #authorize(host: string, challenge: Challenge, scopes: string[]): Promise<string> {
    const credential = await this.credentialFor(host);
    if (challenge.scheme === "basic") {
      if (credential?.kind !== "basic") {
        throw new PolyarchError("POLYARCH_E_UNAUTHORIZED", `${host} requires a username and password`, {
          hint: "log in with `docker login`, set CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, or pass --username/--password",
        });
      }
      return basicHeader(credential.username, credential.password);
    }
    if (credential?.kind === "registry-token") return `Bearer ${credential.token}`;
    const key = tokenKey(host, scopes);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached.header;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetchToken(host, challenge, scopes, credential)
        .catch(async (error: unknown) => {
          // A short-lived credential (ECR token, helper) refused by the token service: once, a newer one.
          const refused = isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED") && credential !== undefined;
          if (!refused || !this.canRefresh(host) || !(await this.refresh(host))) throw error;
          return this.#fetchToken(host, challenge, scopes, await this.credentialFor(host));
        })
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #fetchToken(
    host: string,
    challenge: Challenge,
    scopes: string[],
    credential: RegistryCredential | undefined,
  ): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new PolyarchError("POLYARCH_E_UNAUTHORIZED", `${host} sent a Bearer challenge without a realm`, {
        hint: "the registry's token service is misconfigured",
      });
    }
    const service = challenge.params.service;
    const started = this.#now();
    let response =
      credential?.kind === "identity-token"
        ? await this.#postToken(realm, service, scopes, credential)
        : undefined;
    if (response === undefined || response.status === 404 || response.status === 405) {
      response = await this.#getToken(realm, service, scopes, credential);
    }
    if (response.status === 401 || response.status === 403) {
      const who =
        credential && credential.kind !== "registry-token"
          ? ` as ${credential.username ?? "<token>"}`
          : " anonymously";
      throw new PolyarchError(
        "POLYARCH_E_UNAUTHORIZED",
        `authentication to ${host} failed${who}: the token service answered ${response.status}`,
        {
          hint: credential
            ? "check the username and password (or token) for this registry"
            : "this registry needs credentials: docker login, CI_REGISTRY_* variables or --username/--password",
        },
      );
    }
    if (response.status !== 200) {
      throw new PolyarchError(
        "POLYARCH_E_TOKEN",
        `the token service for ${host} answered ${response.status}`,
        {
          hint: "retry later; if it persists, the registry's token service is failing",
        },
      );
    }
    const body = response.body as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
      issued_at?: unknown;
    };
    const token = typeof body.token === "string" && body.token ? body.token : body.access_token;
    if (typeof token !== "string" || token === "") {
      throw new PolyarchError("POLYARCH_E_TOKEN", `the token service for ${host} returned no token`, {
        hint: "the registry's token service is misconfigured",
      });
    }
    this.#options.onSecret?.(token);
    const seconds =
      typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof body.issued_at === "string" ? Date.parse(body.issued_at) : Number.NaN;
    const from = Number.isNaN(issued) ? started : Math.min(issued, started);
    const header = `Bearer ${token}`;
    this.#tokens.set(tokenKey(host, scopes), { header, expiresAt: from + seconds * 1000 - EXPIRY_MARGIN_MS });
    return header;
  }

  async #getToken(
    realm: string,
    service: string | undefined,
    scopes: string[],
    credential: RegistryCredential | undefined,
  ) {
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    const headers: Record<string, string> = {};
    if (credential?.kind === "basic")
      headers.authorization = basicHeader(credential.username, credential.password);
    if (credential?.kind === "identity-token")
      headers.authorization = basicHeader(credential.username ?? "<token>", credential.token);
    return this.#send(url, { method: "GET", headers });
  }

  async #postToken(
    realm: string,
    service: string | undefined,
    scopes: string[],
    credential: Extract<RegistryCredential, { kind: "identity-token" }>,
  ) {
    const form = new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: credential.token,
      client_id: CLIENT_ID,
    });
    if (service) form.set("service", service);
    if (scopes.length > 0) form.set("scope", scopes.join(" "));
    return this.#send(new URL(realm), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
  }

  async #send(url: URL, init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string }) {
    const response = await this.#options.dispatcher.request({
      ...init,
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
    });
    const text = await response.body.text();
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    return { status: response.statusCode, body: body ?? {} };
  }
}

function tokenKey(host: string, scopes: string[]): string {
  return `${host} ${mergeScopes(scopes).join(" ")}`;
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

function secretsOf(credential: RegistryCredential): string[] {
  switch (credential.kind) {
    case "basic":
      return [
        credential.password,
        Buffer.from(`${credential.username}:${credential.password}`).toString("base64"),
      ];
    case "identity-token":
    case "registry-token":
      return [credential.token];
  }
}
