import {
  Agent,
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { type OtherHost, startOtherHost } from "./other-host.ts";
import { ReferrersEndpoint } from "./referrers-endpoint.ts";
import { createRequestCounter, type ProxiedRequest, type RequestCounter, routeOf } from "./requests.ts";

/** What to do to a matching request. */
export type FaultKind =
  /** Answer with this status (default 503) and these headers (e.g. a challenge) without forwarding. */
  | {
      type: "status";
      status?: number;
      headers?: Record<string, string>;
      /** Registry errors to answer with (`{ code, message }`, as distribution-spec error bodies hold). */
      errors?: Array<{ code: string; message: string }>;
    }
  /** Answer 429 with `Retry-After: retryAfter` (seconds, default 1, or an HTTP date) without forwarding. */
  | { type: "rate-limit"; retryAfter?: number | string }
  /** Read the request and never answer: a registry that stops answering, until the client times out. */
  | { type: "stall" }
  /**
   * Forward, adding `ratelimit-limit: limit` and `ratelimit-remaining` to every response, like Docker
   * Hub: each manifest GET (a pull) uses one of `limit`; with none left, manifest GETs get 429.
   */
  | { type: "quota"; limit: number; retryAfter?: number }
  /** Forward, send headers and `afterBytes` of the body (default half), then reset the connection (RST). */
  | { type: "reset"; afterBytes?: number }
  /** Forward, send the full Content-Length but only `afterBytes` of the body (default half), then close. */
  | { type: "truncate"; afterBytes?: number }
  /** Forward, flipping one byte in the middle of the body: same length, wrong digest. */
  | { type: "corrupt" }
  /** Wait `ms` before forwarding normally: latency for benchmarks. */
  | { type: "delay"; ms: number }
  /** Answer blob GETs with a 307 to the other host, which serves the blob and records its Authorization. */
  | { type: "redirect" }
  /** Forward, adding these headers to the response (rate-limit and Warning headers, OCI-Chunk-Min-Length). */
  | { type: "addHeaders"; headers: Record<string, string> }
  /** Forwards the response without these headers (lowercase names), like a proxy that drops them. */
  | { type: "removeHeaders"; headers: string[] };

export interface FaultMatch {
  /** HTTP method, e.g. "GET". @default any */
  method?: string;
  /** Tested against path and query. @default any */
  path?: RegExp;
  /** How many matching requests get the fault; Infinity for all. @default 1 */
  times?: number;
  /** Only every `every`-th matching request (5: one in five) gets it. @default 1 */
  every?: number;
  /** The first `after` matching requests pass untouched (a fault in the middle of a run). @default 0 */
  after?: number;
}

export type Fault = FaultKind & FaultMatch;

/** A quota fault as applied to one request: what is left after it, and whether it was one pull too many. */
type QuotaState = Extract<FaultKind, { type: "quota" }> & { left: number; exhausted: boolean };

export interface InjectedFault {
  readonly fault: Fault;
  /** Requests this fault was applied to so far. */
  hits: number;
}

export interface FaultProxyOptions {
  /**
   * Forward the client's Host header, so the registry builds Location headers for the proxy (as behind a
   * real reverse proxy). When false the registry sees its own host and the proxy rewrites Location.
   * @default true
   */
  forwardHost?: boolean;
  /**
   * Repositories served by other registries: requests under `/v2/<prefix>` go to `url` instead, so one
   * proxy host fronts a source and a target registry (cross-registry copies, faults on both sides).
   */
  routes?: Array<{ prefix: string; url: string }>;
  /**
   * Serve the OCI referrers API in front of a registry that lacks it (distribution 2.8): see
   * `ReferrersEndpoint`. Without it, referrers requests reach the registry, which answers 404.
   * @default false
   */
  referrersApi?: boolean;
}

export interface FaultProxy {
  url: string;
  host: string;
  counter: RequestCounter;
  otherHost: OtherHost;
  inject(fault: Fault): InjectedFault;
  /** The most requests in flight at once since the start or the last reset (a client's concurrency). */
  readonly peakInFlight: number;
  /** Forgets faults and recorded requests (also the other host's). */
  reset(): void;
  stop(): Promise<void>;
}

// Per-connection headers, not forwarded. Transfer-Encoding is kept on requests, so node re-chunks a chunked
// upload; on responses node picks its own framing.
const hopByHop = ["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"];

/** A reverse proxy on a free loopback port that forwards to `targetUrl` and injects faults on demand. */
export async function startFaultProxy(
  targetUrl: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const otherHost = await startOtherHost(target);
  const counter = createRequestCounter();
  const faults: Array<InjectedFault & { remaining: number; seen: number; pulls: number }> = [];
  const agent = new Agent({ keepAlive: true });
  let self = "";
  let inFlight = 0;
  let peakInFlight = 0;
  const stalled = new Set<ServerResponse>();
  const routes = (options.routes ?? []).map((route) => ({
    prefix: `/v2/${route.prefix}`,
    url: new URL(route.url),
  }));
  const referrers = options.referrersApi ? new ReferrersEndpoint() : undefined;
  const backendFor = (path: string) => routes.find((route) => path.startsWith(route.prefix))?.url ?? target;

  const takeFault = (req: IncomingMessage): Fault | undefined => {
    const path = req.url ?? "/";
    const active = faults.find((candidate) => {
      const { fault, remaining } = candidate;
      const matches =
        remaining > 0 &&
        (fault.method === undefined || fault.method.toUpperCase() === req.method) &&
        (fault.path === undefined || fault.path.test(path)) &&
        (fault.type !== "redirect" || (req.method === "GET" && routeOf(path) === "blob"));
      if (!matches) return false;
      candidate.seen++;
      const counted = candidate.seen - (fault.after ?? 0);
      return counted > 0 && counted % (fault.every ?? 1) === 0;
    });
    if (active === undefined) return undefined;
    active.remaining--;
    active.hits++;
    if (active.fault.type === "quota") {
      // A quota lasts for the whole run; each pull uses one, and the headers say what is left.
      active.remaining++;
      const pull = req.method === "GET" && routeOf(path) === "manifest";
      if (pull) active.pulls++;
      const left = Math.max(0, active.fault.limit - active.pulls);
      const exhausted = pull && active.pulls > active.fault.limit;
      return { ...active.fault, left, exhausted } as Fault;
    }
    return active.fault;
  };

  const server = createServer(async (req, res) => {
    const record: ProxiedRequest = {
      method: req.method ?? "",
      path: req.url ?? "/",
      route: routeOf(req.url ?? "/"),
      status: 0,
      fault: undefined,
      authorized: req.headers.authorization !== undefined,
      startedAt: performance.now(),
      endedAt: undefined,
    };
    counter.requests.push(record);
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.once("close", () => {
      inFlight--;
      record.endedAt = performance.now();
    });
    const fault = takeFault(req);
    record.fault = fault?.type;
    if (fault?.type === "stall") {
      req.resume();
      stalled.add(res);
      res.once("close", () => stalled.delete(res));
      return;
    }
    if (fault?.type === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
    const quota = fault?.type === "quota" ? (fault as QuotaState) : undefined;
    if (quota?.exhausted) {
      req.resume();
      record.status = 429;
      const body = errorBody(429);
      res.writeHead(429, {
        "retry-after": String(quota.retryAfter ?? 1),
        "ratelimit-limit": String(quota.limit),
        "ratelimit-remaining": "0",
        "content-type": "application/json",
        "content-length": body.length,
      });
      res.end(body);
      return;
    }
    if (fault?.type === "status" || fault?.type === "rate-limit" || fault?.type === "redirect") {
      req.resume();
      await new Promise((resolve) => req.once("end", resolve));
      const headers: OutgoingHttpHeaders = fault.type === "status" ? { ...fault.headers } : {};
      if (fault.type === "rate-limit") headers["retry-after"] = String(fault.retryAfter ?? 1);
      if (fault.type === "redirect") headers.location = otherHost.addRedirect(record.path, req.headers);
      const status =
        fault.type === "status" ? (fault.status ?? 503) : fault.type === "rate-limit" ? 429 : 307;
      const body =
        status === 307
          ? ""
          : fault.type === "status" && fault.errors
            ? JSON.stringify({ errors: fault.errors })
            : errorBody(status);
      record.status = status;
      res.writeHead(status, {
        "content-type": "application/json",
        ...headers,
        "content-length": body.length,
      });
      res.end(body);
      return;
    }
    if (referrers && req.method === "GET" && record.route === "referrers") {
      req.resume();
      const { headers, body } = referrers.answer(record.path);
      record.status = 200;
      res.writeHead(200, { ...headers, "content-length": Buffer.byteLength(body) }).end(body);
      return;
    }
    forward(req, res, record, fault);
  });

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxiedRequest,
    fault: Fault | undefined,
  ) => {
    const headers: OutgoingHttpHeaders = { ...req.headers };
    for (const name of hopByHop) delete headers[name];
    const backend = backendFor(req.url ?? "/");
    if (options.forwardHost === false) headers.host = backend.host;
    const pushed: Buffer[] = [];
    if (referrers && req.method === "PUT" && record.route === "manifest") {
      req.on("data", (chunk: Buffer) => pushed.push(chunk));
    }
    const upstream = request(
      { host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const status = answer.statusCode ?? 502;
        const out: OutgoingHttpHeaders = { ...answer.headers };
        for (const name of [...hopByHop, "transfer-encoding"]) delete out[name];
        const location = answer.headers.location;
        if (location?.startsWith(backend.origin)) out.location = self + location.slice(backend.origin.length);
        if (fault?.type === "addHeaders") Object.assign(out, fault.headers);
        if (referrers && pushed.length > 0 && status === 201) {
          const subject = referrers.recordPush(record.path, Buffer.concat(pushed));
          if (subject !== undefined) out["oci-subject"] = subject;
        }
        if (fault?.type === "quota") {
          const { limit, left } = fault as QuotaState;
          Object.assign(out, { "ratelimit-limit": String(limit), "ratelimit-remaining": String(left) });
        }
        if (fault?.type === "removeHeaders") for (const name of fault.headers) delete out[name];
        const mangles = fault?.type === "reset" || fault?.type === "truncate" || fault?.type === "corrupt";
        record.status = status;
        if (!mangles || req.method === "HEAD") {
          res.writeHead(status, out);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => mangle(res, status, out, Buffer.concat(chunks), fault));
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy();
      else {
        record.status = 502;
        res.writeHead(502, { "content-type": "text/plain" }).end(`fault proxy: ${error.message}`);
      }
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  self = `http://127.0.0.1:${port}`;

  return {
    url: self,
    host: `127.0.0.1:${port}`,
    counter,
    otherHost,
    get peakInFlight() {
      return peakInFlight;
    },
    inject(fault) {
      const injected = { fault, hits: 0, remaining: fault.times ?? 1, seen: 0, pulls: 0 };
      faults.push(injected);
      return injected;
    },
    reset() {
      peakInFlight = inFlight;
      for (const res of stalled) res.destroy();
      faults.length = 0;
      counter.requests.length = 0;
      otherHost.requests.length = 0;
    },
    async stop() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await otherHost.stop();
    },
  };
}

function mangle(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  fault: Fault,
) {
  const socket = res.socket;
  if (fault.type === "corrupt") {
    const flipped = Buffer.from(body);
    const middle = Math.floor(flipped.length / 2);
    if (flipped.length > 0) flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
    res.writeHead(status, { ...headers, "content-length": flipped.length }).end(flipped);
    return;
  }
  const cut =
    "afterBytes" in fault && fault.afterBytes !== undefined ? fault.afterBytes : Math.floor(body.length / 2);
  if (body.length === 0 && fault.type === "reset") {
    socket?.resetAndDestroy();
    return;
  }
  res.writeHead(status, { ...headers, "content-length": body.length });
  res.write(body.subarray(0, Math.min(cut, body.length)), () => {
    // Let the bytes reach the client's socket before cutting: an RST discards data still in flight.
    setTimeout(() => (fault.type === "reset" ? socket?.resetAndDestroy() : socket?.end()), 10);
  });
}

function errorBody(status: number): string {
  const code = status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE";
  return JSON.stringify({ errors: [{ code, message: `injected by the fault proxy (${status})` }] });
}
