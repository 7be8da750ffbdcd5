/** What a registry API path addresses. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints */
export type Route = "base" | "catalog" | "manifest" | "blob" | "upload" | "tags" | "referrers" | "other";

/** One request that reached the fault proxy. */
export interface ProxiedRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  route: Route;
  /** Status sent to the client; 0 while in flight or when the connection was cut before headers. */
  status: number;
  /** The fault applied to this request, if any. */
  fault: string | undefined;
  /** Whether the request carried an Authorization header. */
  authorized: boolean;
  /** performance.now() when it arrived, and when its response was done (undefined while in flight). */
  startedAt: number;
  endedAt: number | undefined;
}

export interface RequestFilter {
  method?: string;
  /** A substring of, or a pattern tested against, path and query. */
  path?: string | RegExp;
  route?: Route;
  status?: number;
}

/** The proxy's request log, with filters for assertions like "exactly one PUT of the manifest". */
export interface RequestCounter {
  readonly requests: ProxiedRequest[];
  filter(filter?: RequestFilter): ProxiedRequest[];
  count(filter?: RequestFilter): number;
}

export function createRequestCounter(): RequestCounter {
  const requests: ProxiedRequest[] = [];
  const filter = (criteria: RequestFilter = {}) => requests.filter((request) => matches(request, criteria));
  return { requests, filter, count: (criteria) => filter(criteria).length };
}

function matches(request: ProxiedRequest, criteria: RequestFilter): boolean {
  if (criteria.method !== undefined && criteria.method.toUpperCase() !== request.method) return false;
  if (criteria.route !== undefined && criteria.route !== request.route) return false;
  if (criteria.status !== undefined && criteria.status !== request.status) return false;
  const { path } = criteria;
  if (typeof path === "string" && !request.path.includes(path)) return false;
  if (path instanceof RegExp && !path.test(request.path)) return false;
  return true;
}

export function routeOf(path: string): Route {
  const pathname = path.split("?")[0] ?? "";
  if (pathname === "/v2/" || pathname === "/v2") return "base";
  if (pathname === "/v2/_catalog") return "catalog";
  if (/^\/v2\/.+\/blobs\/uploads(\/|$)/.test(pathname)) return "upload";
  if (/^\/v2\/.+\/blobs\/[^/]+$/.test(pathname)) return "blob";
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(pathname)) return "manifest";
  if (/^\/v2\/.+\/tags\/list$/.test(pathname)) return "tags";
  if (/^\/v2\/.+\/referrers\/[^/]+$/.test(pathname)) return "referrers";
  return "other";
}
