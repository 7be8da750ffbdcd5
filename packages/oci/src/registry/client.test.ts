import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isPolyarchError } from "@polyarch/errors";
import { Agent, type Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "./client.ts";

const fastRetry = { baseDelayMs: 10 } as const;

const SIGNED_QUERY = "X-Amz-Credential=AKIA-secret-cred&X-Amz-Signature=secret-signature&sig=secret-sig";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("retries after a redirect to a presigned blob URL", () => {
  // The registry redirects blob GETs to "object storage", which fails each path once with 503 and then
  // serves it: each test asks for its own path, so neither depends on what the other asked.
  let registry: Server;
  let storage: Server;
  let registryHost: string;
  let storageHost: string;
  const storageHits = new Map<string, number>();
  let client: RegistryClient | undefined;

  beforeAll(async () => {
    storage = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://storage").pathname;
      const hits = (storageHits.get(path) ?? 0) + 1;
      storageHits.set(path, hits);
      response.writeHead(hits === 1 ? 503 : 200, { "content-length": "2" }).end("ok");
    });
    storageHost = await listen(storage);
    registry = createServer((request, response) => {
      response
        .writeHead(307, { location: `http://${storageHost}/bucket${request.url ?? ""}?${SIGNED_QUERY}` })
        .end();
    });
    registryHost = await listen(registry);
  });
  afterEach(() => client?.close());
  afterAll(async () => {
    await new Promise((resolve) => registry.close(resolve));
    await new Promise((resolve) => storage.close(resolve));
  });

  it("logs the retry with the signature masked", async () => {
    const logs: string[] = [];
    client = new RegistryClient({ retry: fastRetry, log: (message) => logs.push(message) });
    const response = await client.send(registryHost, "/v2/app/blobs/sha256:abc", { method: "GET" });
    expect(await response.body.text()).toBe("ok");
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`retrying GET http://${storageHost}/bucket/v2/app/blobs/sha256:abc?`);
    expect(logs[0]).toContain("X-Amz-Signature=***");
    expect(logs[0]).not.toMatch(/secret/);
  });

  it("hands onRetry the URL with the signature masked", async () => {
    const urls: string[] = [];
    client = new RegistryClient({ retry: { ...fastRetry, onRetry: (event) => urls.push(event.url) } });
    const response = await client.send(registryHost, "/v2/app/blobs/sha256:def", { method: "GET" });
    await response.body.text();
    expect(urls).toEqual([
      `http://${storageHost}/bucket/v2/app/blobs/sha256:def?X-Amz-Credential=***&X-Amz-Signature=***&sig=***`,
    ]);
  });
});

describe("a network failure on a presigned URL", () => {
  it("names the request in a POLYARCH_E_NETWORK error without the signature", async () => {
    const storageUrl = `https://bucket.s3.example.com/blob?${SIGNED_QUERY}`;
    // A transport whose failures quote the URL they were sending to, as proxies and agents may.
    const failing: Dispatcher.DispatcherComposeInterceptor = () => (opts, handler) => {
      const error = Object.assign(new Error(`connect failed for ${opts.origin}${opts.path}`), {
        code: "EPROTO",
      });
      queueMicrotask(() => handler.onResponseError?.(undefined as never, error));
      return true;
    };
    const base = new Agent();
    const client = new RegistryClient({ dispatcher: base.compose(failing), retry: fastRetry });
    try {
      await client.send("bucket.s3.example.com", storageUrl, { method: "GET" });
      expect.unreachable();
    } catch (error: unknown) {
      expect(isPolyarchError(error, "POLYARCH_E_NETWORK")).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain("GET https://bucket.s3.example.com/blob failed: connect failed for");
      expect(message).toContain("X-Amz-Signature=***");
      expect(message).not.toMatch(/secret/);
    } finally {
      await client.close();
      await base.close();
    }
  });
});
