import type { LookupFunction } from "node:net";
import { PolyarchError, redactText } from "@polyarch/errors";
import { type Dispatcher, interceptors } from "undici";
import { interruptedError } from "../interrupted.ts";
import { abortGate } from "./abort-gate.ts";
import { AuthManager, type CredentialLookup } from "./auth.ts";
import { authInterceptor } from "./auth-interceptor.ts";
import { RegistryRepository } from "./repository.ts";
import { type RetryOptions, retryInterceptor } from "./retry.ts";
import { createAgent, SchemeResolver, type TransportRules } from "./transport.ts";

/** Keeps secrets out of messages: told every secret, asked to scrub every message. */
export interface SecretScrubber {
  add(secret: string): void;
  redact(text: string): string;
}

export interface RateLimit {
  /** Requests left in the window, from `ratelimit-remaining` (Docker Hub: `76;w=21600`). */
  remaining: number;
  limit?: number;
  windowSeconds?: number;
}

export interface RegistryClientOptions extends TransportRules {
  credentials?: CredentialLookup;
  /** A newer credential after a refusal (ECR tokens, credential helpers): a resolver's `refresh`/`canRefresh`. */
  refreshCredentials?: { canRefresh(host: string): boolean; refresh: CredentialLookup };
  /** Extra CA certificates (PEM) trusted for TLS; verification stays on. */
  ca?: string | Buffer;
  /**
   * Resolves registry host names instead of the system resolver, as `curl --resolve` does (a registry
   * reached through a tunnel, or a test's TLS registry on loopback under its certificate's name).
   */
  lookup?: LookupFunction;
  /** The transport underneath; by default an Agent with `maxConcurrency` connections per registry. */
  dispatcher?: Dispatcher;
  /** Requests in flight at once per registry. @default 8 */
  maxConcurrency?: number;
  /**
   * How long a registry may stay silent (waiting for response headers, or between body chunks) before
   * the request fails with a timeout, which is retried. @default 300000 (undici's)
   */
  timeoutMs?: number;
  retry?: RetryOptions;
  scrubber?: SecretScrubber;
  /** Progress and diagnostics (retries, warnings); already scrubbed. */
  log?: (message: string) => void;
  userAgent?: string;
  /**
   * Stops the client: once it fires, no request is sent (retries included), requests in flight are
   * aborted, and every call fails with POLYARCH_E_INTERRUPTED. Only `cancel` requests still go out.
   */
  signal?: AbortSignal;
}

export interface RequestInit {
  method: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions["body"];
  /** A request that tidies up (DELETE of an upload session): sent once, even after the signal fired. */
  cancel?: boolean;
}

const MAX_REDIRECTS = 5;
// Tidying up after an interruption must not hold up the exit: the launcher exits within a second.
const CANCEL_TIMEOUT_MS = 500;

/**
 * A registry client (https://github.com/opencontainers/distribution-spec/blob/main/spec.md) on
 * undici: retry with backoff, redirects that never carry Authorization to another host, and
 * Basic/Bearer auth, composed as interceptors on one dispatcher per client.
 */
export class RegistryClient {
  readonly #options: RegistryClientOptions;
  readonly #base: Dispatcher;
  readonly #dispatcher: Dispatcher;
  /** Without the abort gate and retries: for tidying up (cancelling an upload) after an interruption. */
  readonly #cleanup: Dispatcher;
  readonly #ownsBase: boolean;
  readonly #schemes: SchemeResolver;
  readonly #rateLimits = new Map<string, RateLimit>();
  readonly #warnings: Array<{ registry: string; text: string }> = [];
  readonly #auth: AuthManager;

  constructor(options: RegistryClientOptions = {}) {
    this.#options = options;
    this.#ownsBase = options.dispatcher === undefined;
    this.#schemes = new SchemeResolver(options);
    this.#base =
      options.dispatcher ??
      createAgent({
        connections: options.maxConcurrency ?? 8,
        rules: options,
        ...(options.ca !== undefined && { ca: options.ca }),
        ...(options.lookup !== undefined && { lookup: options.lookup }),
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      });
    const log = options.log;
    const signal = options.signal;
    const gated = signal === undefined ? this.#base : this.#base.compose(abortGate(signal));
    const retry = retryInterceptor({
      ...options.retry,
      ...(signal && { signal }),
      onRetry:
        options.retry?.onRetry ??
        ((event) =>
          log?.(
            this.scrub(
              `retrying ${event.method} ${event.url} after ${event.reason} (attempt ${event.attempt}) in ${(event.delayMs / 1000).toFixed(1)}s`,
            ),
          )),
    });
    const transport = gated.compose(retry, interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
    this.#auth = new AuthManager({
      credentials: options.credentials,
      ...(options.refreshCredentials && { refresh: options.refreshCredentials }),
      dispatcher: transport,
      onSecret: (secret) => options.scrubber?.add(secret),
    });
    this.#dispatcher = transport.compose(authInterceptor(this.#auth));
    this.#cleanup = this.#base.compose(authInterceptor(this.#auth));
  }

  /** The signal this client stops on, for stores that write elsewhere (an OCI layout) to honour too. */
  get signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  /** A repository on a registry, as an ImageStore. */
  repository(registry: string, repository: string): RegistryRepository {
    return new RegistryRepository(this, registry, repository);
  }

  /**
   * `https://registry`, or `http://` where the transport rules say so (a loopback registry is HTTP
   * until a request has found it speaks TLS); Docker Hub's API host for docker.io.
   */
  originFor(registry: string): string {
    return originOf(registry, this.#schemes.known(registry));
  }

  /** Sends one request to a registry. Network failures become POLYARCH_E_NETWORK errors. */
  async send(registry: string, pathOrUrl: string, init: RequestInit): Promise<Dispatcher.ResponseData> {
    const url = new URL(pathOrUrl, originOf(registry, await this.#schemes.scheme(registry)));
    const headers = { "user-agent": this.#options.userAgent ?? "polyarch", ...init.headers };
    const signal = this.#options.signal;
    const tidying = init.cancel === true;
    if (signal?.aborted && !tidying) throw interruptedError(signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await (tidying ? this.#cleanup : this.#dispatcher).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: init.method,
        headers,
        body: init.body,
        ...(tidying ? { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) } : signal && { signal }),
      });
    } catch (error: unknown) {
      if (signal?.aborted && !tidying) throw interruptedError(signal);
      if (error instanceof PolyarchError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new PolyarchError(
        "POLYARCH_E_NETWORK",
        // The failure may have happened on a redirect to a presigned blob URL, which the error may quote.
        this.scrub(
          redactText(
            `${init.method} ${url.origin}${url.pathname} failed: ${error instanceof Error ? error.message : String(error)}${typeof code === "string" ? ` (${code})` : ""}`,
          ),
        ),
        { hint: "check that the registry is reachable; polyarch already retried", cause: error },
      );
    }
    this.#observe(registry, response.headers);
    return response;
  }

  scrub(text: string): string {
    return this.#options.scrubber?.redact(text) ?? text;
  }

  /** The last rate-limit headers a registry sent, so callers can slow down before hitting it. */
  rateLimit(registry: string): RateLimit | undefined {
    return this.#rateLimits.get(registry);
  }

  /** `Warning` headers registries sent (deprecations, quota notices), in arrival order. */
  get warnings(): ReadonlyArray<{ registry: string; text: string }> {
    return this.#warnings;
  }

  async close(): Promise<void> {
    if (this.#ownsBase) await this.#base.close();
  }

  #observe(registry: string, headers: Dispatcher.ResponseData["headers"]): void {
    const remaining = first(headers["ratelimit-remaining"]);
    if (remaining !== undefined) {
      const limit = first(headers["ratelimit-limit"]);
      const parsed = parseRateLimit(remaining);
      if (parsed !== undefined) {
        const window = /;\s*w=(\d+)/.exec(remaining)?.[1];
        this.#rateLimits.set(registry, {
          remaining: parsed,
          ...(limit !== undefined && { limit: parseRateLimit(limit) ?? 0 }),
          ...(window !== undefined && { windowSeconds: Number(window) }),
        });
      }
    }
    const warning = headers.warning;
    for (const text of Array.isArray(warning) ? warning : warning ? [warning] : []) {
      const message = /^\d{3}\s+\S+\s+"(.*)"/.exec(text)?.[1] ?? text;
      this.#warnings.push({ registry, text: message });
      this.#options.log?.(this.scrub(`warning from ${registry}: ${message}`));
    }
  }
}

function originOf(registry: string, scheme: string): string {
  return `${scheme}://${registry === "docker.io" ? "registry-1.docker.io" : registry}`;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseRateLimit(value: string): number | undefined {
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? undefined : n;
}
