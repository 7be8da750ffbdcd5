import type { FaultProxy } from "@polyarch/test-harness";

/** Manifest writes and blob traffic the proxy saw, for "nothing was pushed" assertions. */
export function writes(proxy: FaultProxy) {
  return proxy.counter.requests.filter(
    (r) => r.method === "PUT" || r.method === "PATCH" || r.method === "POST" || r.method === "DELETE",
  );
}

/** The parsed JSON of an index or manifest. */
export function json(bytes: Uint8Array | string): {
  mediaType?: string;
  manifests: Array<{
    mediaType: string;
    digest: string;
    size: number;
    platform?: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }>;
  annotations?: Record<string, string>;
} {
  return JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
}
