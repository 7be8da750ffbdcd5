import { isPolyarchError } from "@polyarch/errors";
import { LayoutStore, RegistryClient, transferBlob } from "@polyarch/oci";
import {
  type FaultProxy,
  freePort,
  type Image,
  pushImage,
  type Registry,
  rejection,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fastRetry } from "./support.ts";

interface RetryEvent {
  method: string;
  reason: string;
  attempt: number;
  delayMs: number;
}

describe("retries through the fault proxy", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let image: Image;
  let client: RegistryClient;
  let retries: RetryEvent[];
  const manifestGets = () =>
    proxy.counter.filter({ method: "GET", route: "manifest" }).map((r) => [r.status, r.fault]);

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    image = await syntheticImage({ seed: "retry" });
    await pushImage(registry, "team/app", "v1", image);
  });
  beforeEach(() => {
    proxy.reset();
    retries = [];
    client = new RegistryClient({
      retry: { ...fastRetry, retries: 3, onRetry: (event) => retries.push(event) },
    });
  });
  afterEach(() => client.close());
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("retries 503 twice and then succeeds", async () => {
    proxy.inject({ type: "status", status: 503, method: "GET", path: /manifests/, times: 2 });
    const fetched = await client.repository(proxy.host, "team/app").getManifest("v1");
    expect(fetched.digest).toBe(image.manifest.digest);
    expect(manifestGets()).toEqual([
      [503, "status"],
      [503, "status"],
      [200, undefined],
    ]);
    expect(retries.map((r) => [r.reason, r.attempt])).toEqual([
      ["HTTP 503", 1],
      ["HTTP 503", 2],
    ]);
  });

  it("waits as long as a 429's Retry-After says", async () => {
    proxy.inject({ type: "rate-limit", retryAfter: 1, method: "GET", path: /manifests/ });
    const fetched = await client.repository(proxy.host, "team/app").getManifest("v1");
    expect(fetched.digest).toBe(image.manifest.digest);
    expect(manifestGets()).toEqual([
      [429, "rate-limit"],
      [200, undefined],
    ]);
    expect(retries).toMatchObject([{ reason: "HTTP 429", delayMs: 1000 }]);
  });

  it.each(["reset", "truncate"] as const)(
    "retries a manifest GET whose body is cut off (%s)",
    async (type) => {
      proxy.inject({ type, method: "GET", path: /manifests/ });
      const fetched = await client.repository(proxy.host, "team/app").getManifest("v1");
      expect(Buffer.from(fetched.bytes)).toEqual(image.manifest.bytes);
      expect(manifestGets()).toEqual([
        [200, type],
        [200, undefined],
      ]);
      expect(retries).toHaveLength(1);
    },
  );

  it("retries a manifest PUT whose connection is reset before the answer", async () => {
    // A 201 has no body: the proxy resets the connection before any header reaches the client.
    proxy.inject({ type: "reset", method: "PUT", path: /manifests/ });
    const repo = client.repository(proxy.host, "team/app");
    expect(await repo.putManifest(image.manifest.bytes, image.manifest.mediaType, "v2")).toBe(
      image.manifest.digest,
    );
    expect(proxy.counter.filter({ method: "PUT", route: "manifest" }).map((r) => r.fault)).toEqual([
      "reset",
      undefined,
    ]);
    expect((await repo.headManifest("v2"))?.digest).toBe(image.manifest.digest);
  });

  it("restarts a blob copy whose stream broke off mid-way", async () => {
    const layout: TempDir = await tempDir("polyarch-retry-layout-");
    try {
      // Bigger than what the transport holds before streaming: this blob streams, so the copy restarts it.
      const big = await syntheticImage({ seed: "retry-big", layers: [5 * 1024 * 1024] });
      await pushImage(registry, "team/big", "v1", big);
      const layer = big.layers[0]!;
      proxy.inject({ type: "reset", method: "GET", path: new RegExp(layer.digest) });
      const target = new LayoutStore(layout.path);
      expect(await transferBlob(client.repository(proxy.host, "team/big"), target, layer)).toBe("copied");
      expect(await target.hasBlob(layer)).toBe(true);
      expect(proxy.counter.filter({ method: "GET", route: "blob" }).map((r) => r.fault)).toEqual([
        "reset",
        undefined,
      ]);
      expect(retries).toEqual([]);
    } finally {
      await layout.remove();
    }
  });

  it("gives up on a blob whose stream keeps breaking off after 3 attempts: 2 restarts", async () => {
    const layout: TempDir = await tempDir("polyarch-retry-layout-");
    try {
      const big = await syntheticImage({ seed: "retry-give-up", layers: [5 * 1024 * 1024] });
      await pushImage(registry, "team/broken", "v1", big);
      const layer = big.layers[0]!;
      proxy.inject({ type: "reset", method: "GET", path: new RegExp(layer.digest), times: Infinity });
      const target = new LayoutStore(layout.path);
      const error = await rejection(
        transferBlob(client.repository(proxy.host, "team/broken"), target, layer),
      );
      expect(error.code).toBe("POLYARCH_E_NETWORK");
      expect(error.message).toBe(
        `blob ${layer.digest} broke off 3 times while it was copied: read ECONNRESET`,
      );
      expect(await target.hasBlob(layer)).toBe(false);
      expect(proxy.counter.filter({ method: "GET", route: "blob" }).map((r) => r.fault)).toEqual([
        "reset",
        "reset",
        "reset",
      ]);
    } finally {
      await layout.remove();
    }
  });

  it("starts over a streamed upload refused with 401 mid-way (a token that expired), cancelling the first", async () => {
    const layout: TempDir = await tempDir("polyarch-retry-layout-");
    try {
      const big = await syntheticImage({ seed: "retry-401", layers: [5 * 1024 * 1024] });
      const layer = big.layers[0]!;
      const source = new LayoutStore(layout.path);
      await source.putBlob(layer, async () => (await import("node:stream")).Readable.from([layer.bytes]));
      proxy.inject({
        type: "status",
        status: 401,
        method: "PUT",
        path: /\/blobs\/uploads\//,
        headers: { "www-authenticate": 'Bearer realm="https://auth.example/token",error="invalid_token"' },
      });
      const target = client.repository(proxy.host, "team/upload-401");
      expect(await transferBlob(source, target, layer)).toBe("copied");
      expect(await target.hasBlob(layer)).toBe(true);
      const uploads = proxy.counter.requests.filter((r) => r.path.includes("/blobs/uploads/"));
      expect(uploads.map((r) => [r.method, r.status])).toEqual([
        ["POST", 202],
        ["PUT", 401],
        ["DELETE", 204],
        ["POST", 202],
        ["PUT", 201],
      ]);
    } finally {
      await layout.remove();
    }
  });

  it("gives up after the configured retries with POLYARCH_E_REGISTRY_UNAVAILABLE naming the status", async () => {
    proxy.inject({ type: "status", status: 503, method: "GET", path: /manifests/, times: Infinity });
    const error = await rejection(client.repository(proxy.host, "team/app").getManifest("v1"));
    expect(isPolyarchError(error, "POLYARCH_E_REGISTRY_UNAVAILABLE")).toBe(true);
    expect(error.message).toContain(`GET manifest ${proxy.host}/team/app:v1 failed with HTTP 503`);
    expect(error.hint).toMatch(/retries did not help/);
    expect(proxy.counter.count({ method: "GET", route: "manifest" })).toBe(4);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it("gives up on bodies that keep breaking off with POLYARCH_E_NETWORK", async () => {
    proxy.inject({ type: "truncate", method: "GET", path: /manifests/, times: Infinity });
    const error = await rejection(client.repository(proxy.host, "team/app").getManifest("v1"));
    expect(isPolyarchError(error, "POLYARCH_E_NETWORK")).toBe(true);
    expect(error.message).toContain(`GET http://${proxy.host}/v2/team/app/manifests/v1 failed`);
    expect(proxy.counter.count({ method: "GET", route: "manifest" })).toBe(4);
  });

  it("gives up on a registry that refuses connections with POLYARCH_E_NETWORK", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const error = await rejection(client.repository(host, "team/app").getManifest("v1"));
    expect(isPolyarchError(error, "POLYARCH_E_NETWORK")).toBe(true);
    expect(error.message).toContain(`GET http://${host}/v2/team/app/manifests/v1 failed`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(retries.map((r) => r.reason)).toEqual(["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"]);
  });
});

describe("registry notices", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    await pushImage(registry, "team/app", "v1", await syntheticImage({ seed: "notices" }));
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("exposes rate-limit headers per registry and collects Warning headers", async () => {
    const log: string[] = [];
    const client = new RegistryClient({ log: (message) => log.push(message) });
    try {
      const repo = client.repository(proxy.host, "team/app");
      await repo.getManifest("v1");
      expect(client.rateLimit(proxy.host)).toBeUndefined();
      expect(client.warnings).toEqual([]);

      proxy.inject({
        type: "addHeaders",
        method: "GET",
        path: /manifests/,
        headers: {
          "ratelimit-limit": "100;w=21600",
          "ratelimit-remaining": "76;w=21600",
          warning: '299 - "this registry is read-only from 2027-01-01"',
        },
      });
      await repo.getManifest("v1");
      expect(client.rateLimit(proxy.host)).toEqual({ remaining: 76, limit: 100, windowSeconds: 21600 });
      expect(client.rateLimit(registry.host)).toBeUndefined();
      expect(client.warnings).toEqual([
        { registry: proxy.host, text: "this registry is read-only from 2027-01-01" },
      ]);
      expect(log).toContain(`warning from ${proxy.host}: this registry is read-only from 2027-01-01`);
    } finally {
      await client.close();
    }
  });
});
