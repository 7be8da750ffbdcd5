export type { CliRun } from "../support/cli.ts";
export { isolatedEnv, polyarch, through } from "../support/cli.ts";
export { json, writes } from "../support/proxy.ts";

import type { MirrorContext } from "@polyarch/mirror";
import { openStore, RegistryClient, type RegistryClientOptions } from "@polyarch/oci";
import type { FaultProxy } from "@polyarch/test-harness";

export const amd64 = { os: "linux", architecture: "amd64" };
export const arm64 = { os: "linux", architecture: "arm64" };
export const s390x = { os: "linux", architecture: "s390x" };

/** A client with fast retries (fault tests do not wait for production backoff), and stores it opens. */
export function testClient(options: RegistryClientOptions = {}): {
  client: RegistryClient;
  context: MirrorContext;
} {
  const client = new RegistryClient({ retry: { baseDelayMs: 5 }, ...options });
  return { client, context: { openStore: (reference) => openStore(reference, client) } };
}

/** Every request the proxy saw, as `METHOD route`, for exact request-count assertions. */
export function requestLog(proxy: FaultProxy): string[] {
  return proxy.counter.requests.map((r) => `${r.method} ${r.route}`);
}
