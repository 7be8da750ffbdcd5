import type { ProxiedRequest } from "@polyarch/test-harness";

export interface RequestTally {
  /** Every request except GET /v2/ (the auth handshake's probe). */
  counted: number;
  /** GET /v2/ probes, left out of `counted`. */
  base: number;
  /** "METHOD route" → count, in the order first seen, e.g. { "GET manifest": 2, "PUT manifest": 1 }. */
  byKind: Record<string, number>;
  /** Blob upload requests (POST/PATCH/PUT under blobs/uploads): bytes written to the registry. */
  uploads: number;
}

/** Tallies what a fault proxy's counter recorded. */
export function tallyRequests(requests: readonly ProxiedRequest[]): RequestTally {
  const byKind: Record<string, number> = {};
  let base = 0;
  let uploads = 0;
  for (const request of requests) {
    if (request.route === "base") {
      base += 1;
      continue;
    }
    if (request.route === "upload") uploads += 1;
    const kind = `${request.method} ${request.route}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { counted: requests.length - base, base, byKind, uploads };
}

/** Requests by method alone ("HEAD" → 20), GET /v2/ left out as in `tallyRequests`, in the order first seen. */
export function countByMethod(requests: readonly ProxiedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) {
    if (request.route === "base") continue;
    counts[request.method] = (counts[request.method] ?? 0) + 1;
  }
  return counts;
}
