import type { LookupFunction } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Agent, buildConnector } from "undici";
import { isLoopbackRegistry } from "../core/reference.ts";

/**
 * How polyarch reaches each registry, by Docker's rules
 * (https://docs.docker.com/reference/cli/dockerd/#insecure-registries):
 * - registries named plain-HTTP (`--insecure-registry`, manifest-tool's `--plain-http`) get HTTP;
 * - loopback registries are Docker's default insecure registries: HTTPS first, with certificate errors
 *   ignored, and plain HTTP when the port does not speak TLS;
 * - every other registry gets HTTPS with verified certificates, unless verification is switched off
 *   (manifest-tool's `--insecure`).
 */
export interface TransportRules {
  /** Registries reached over plain HTTP. */
  insecureRegistries?: readonly string[];
  /** Every registry over plain HTTP (manifest-tool's `--plain-http`). */
  plainHttp?: boolean;
  /** HTTPS without certificate verification for every registry (manifest-tool's `--insecure`). */
  skipTlsVerify?: boolean;
}

export type Scheme = "https" | "http";

/** The scheme a registry needs before any probing: undefined for a loopback registry, which is probed. */
export function fixedScheme(registry: string, rules: TransportRules): Scheme | undefined {
  if (rules.plainHttp || (rules.insecureRegistries ?? []).includes(registry)) return "http";
  return isLoopbackRegistry(registry) ? undefined : "https";
}

/** True when TLS to `registry` is not verified: loopback registries, or all with `skipTlsVerify`. */
export function skipsVerification(registry: string, rules: TransportRules): boolean {
  return rules.skipTlsVerify === true || isLoopbackRegistry(registry);
}

/** Resolves each registry's scheme once per client; loopback registries are probed for TLS. */
export class SchemeResolver {
  readonly #rules: TransportRules;
  readonly #known = new Map<string, Promise<Scheme>>();
  readonly #settled = new Map<string, Scheme>();
  readonly #probe: (registry: string) => Promise<boolean>;

  constructor(rules: TransportRules, probe: (registry: string) => Promise<boolean> = speaksTls) {
    this.#rules = rules;
    this.#probe = probe;
  }

  async scheme(registry: string): Promise<Scheme> {
    const fixed = fixedScheme(registry, this.#rules);
    if (fixed !== undefined) return fixed;
    let pending = this.#known.get(registry);
    if (pending === undefined) {
      pending = this.#probe(registry).then((tls): Scheme => (tls ? "https" : "http"));
      this.#known.set(registry, pending);
      void pending.then((scheme) => this.#settled.set(registry, scheme));
    }
    return pending;
  }

  /** The scheme already chosen (or fixed) for a registry; loopback ones default to HTTP until probed. */
  known(registry: string): Scheme {
    return fixedScheme(registry, this.#rules) ?? this.#settled.get(registry) ?? "http";
  }
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * True when `host[:port]` completes a TLS handshake (any certificate): Docker's test for whether an
 * insecure registry has HTTPS. A plain-HTTP server answers the ClientHello with an HTTP error, which
 * fails the handshake.
 */
export function speaksTls(registry: string): Promise<boolean> {
  const { hostname, port } = splitHost(registry);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: hostname, port: port ?? 443, rejectUnauthorized: false });
    socket.setTimeout(PROBE_TIMEOUT_MS);
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once("secureConnect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

function splitHost(registry: string): { hostname: string; port?: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry);
  const hostname = (match?.[1] ?? registry).replace(/^\[|\]$/g, "");
  return match?.[2] ? { hostname, port: Number(match[2]) } : { hostname };
}

export interface AgentOptions {
  ca?: string | Buffer;
  lookup?: LookupFunction;
  connections: number;
  rules: TransportRules;
  /** How long a registry may stay silent (headers, or between body chunks). @default undici's 300 s */
  timeoutMs?: number;
}

/**
 * The default transport: one Agent whose connector verifies certificates except for registries whose
 * rules say not to (loopback, or manifest-tool's `--insecure`).
 */
export function createAgent(options: AgentOptions): Agent {
  const common = {
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.lookup !== undefined && { lookup: options.lookup }),
  };
  const verifying = buildConnector(common);
  const lenient = buildConnector({ ...common, rejectUnauthorized: false });
  return new Agent({
    connections: options.connections,
    ...(options.timeoutMs !== undefined && {
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    }),
    connect: (connectOptions, callback) => {
      const registry = connectOptions.port
        ? `${connectOptions.hostname}:${connectOptions.port}`
        : connectOptions.hostname;
      const skip =
        skipsVerification(registry, options.rules) ||
        skipsVerification(connectOptions.hostname, options.rules);
      (skip ? lenient : verifying)(connectOptions, callback);
    },
  });
}
