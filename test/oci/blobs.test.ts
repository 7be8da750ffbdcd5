import { createHash } from "node:crypto";
import { isPolyarchError } from "@polyarch/errors";
import { RegistryClient, transferBlob } from "@polyarch/oci";
import {
  blobOf,
  type FaultProxy,
  type Image,
  pushImage,
  type Registry,
  rejection,
  startFaultProxy,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, contentOf, fastRetry, withCredentials } from "./support.ts";

/** `size` deterministic, incompressible bytes. */
function bytesOf(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, n = 0; offset < size; offset += 32, n++) {
    createHash("sha256").update(`${seed}#${n}`).digest().copy(out, offset);
  }
  return out;
}

const layerType = "application/vnd.oci.image.layer.v1.tar+gzip";

describe("blobs", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let image: Image;
  /** Upload and blob requests, so an assertion also catches a blob request nobody expected. */
  const uploads = () =>
    proxy.counter.requests
      .filter((r) => r.route === "upload" || r.route === "blob")
      .map((r) => [r.method, r.route, r.status]);

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    client = new RegistryClient({ retry: fastRetry });
    image = await syntheticImage({ seed: "blobs", layers: [40_000] });
    await pushImage(registry, "team/app", "v1", image);
  });
  beforeEach(() => proxy.reset());
  afterAll(async () => {
    await client.close();
    await proxy.stop();
    await registry.stop();
  });

  it("HEADs blobs it has and blobs it lacks", async () => {
    const repo = client.repository(proxy.host, "team/app");
    expect(await repo.hasBlob(image.layers[0]!)).toBe(true);
    expect(await repo.hasBlob(blobOf(layerType, Buffer.from("never pushed")))).toBe(false);
    expect(proxy.counter.requests.map((r) => [r.method, r.status])).toEqual([
      ["HEAD", 200],
      ["HEAD", 404],
    ]);
  });

  it("streams a blob, verified against its digest", async () => {
    const layer = image.layers[0]!;
    const bytes = await collect(await client.repository(proxy.host, "team/app").openBlob(layer));
    expect(bytes).toEqual(layer.bytes);
  });

  it("fails a corrupted blob stream at its end with POLYARCH_E_DIGEST_MISMATCH", async () => {
    const layer = image.layers[0]!;
    proxy.inject({ type: "corrupt", method: "GET", path: /blobs\/sha256/ });
    // The stream opens: the bytes are checked as they flow, and the verdict comes when they end.
    const stream = await client.repository(proxy.host, "team/app").openBlob(layer);
    const error = await rejection(collect(stream));
    expect(isPolyarchError(error, "POLYARCH_E_DIGEST_MISMATCH")).toBe(true);
    expect(error.message).toContain(`blob ${proxy.host}/team/app@${layer.digest}: expected ${layer.digest}`);
  });

  it("uploads a blob monolithically: one POST, one PUT", async () => {
    const blob = blobOf(layerType, bytesOf("monolithic", 100_000));
    const repo = client.repository(proxy.host, "team/app");
    const content = contentOf(blob);
    await repo.putBlob(blob, content);
    expect(content.opened).toBe(1);
    expect(uploads()).toEqual([
      ["POST", "upload", 202],
      ["PUT", "upload", 201],
    ]);
    expect(await collect(await repo.openBlob(blob))).toEqual(blob.bytes);
  });

  it.each([503, 429])(
    "starts a streamed copy's upload over when the registry answers its PUT with %i",
    async (status) => {
      // The retry interceptor cannot send a streamed body twice: the copy reopens the source instead.
      const layer = image.layers[0]!;
      const source = client.repository(registry.host, "team/app");
      const target = client.repository(proxy.host, `team/restart-${status}`);
      proxy.inject({ type: "status", status, method: "PUT", path: /blobs\/uploads/ });
      expect(await transferBlob(source, target, layer)).toBe("copied");
      expect(uploads()).toEqual([
        ["HEAD", "blob", 404],
        ["POST", "upload", 202],
        ["PUT", "upload", status],
        ["DELETE", "upload", 204],
        ["POST", "upload", 202],
        ["PUT", "upload", 201],
      ]);
      expect(await collect(await target.openBlob(layer))).toEqual(layer.bytes);
    },
  );

  it("uploads in PATCH chunks when the registry sets OCI-Chunk-Min-Length", async () => {
    // distribution 2.8 never sends the header; the proxy adds it to the POST that opens the session.
    proxy.inject({
      type: "addHeaders",
      method: "POST",
      path: /blobs\/uploads/,
      headers: { "oci-chunk-min-length": "1048576" },
    });
    const size = 9 * 1024 * 1024;
    const blob = blobOf(layerType, bytesOf("chunked", size));
    const repo = client.repository(proxy.host, "team/chunked");
    await repo.putBlob(blob, contentOf(blob));
    // 8 MiB chunks (the client's default, above the registry's minimum): 8 + 1 MiB, then a PUT.
    expect(uploads()).toEqual([
      ["POST", "upload", 202],
      ["PATCH", "upload", 202],
      ["PATCH", "upload", 202],
      ["PUT", "upload", 201],
    ]);
    expect(await repo.hasBlob(blob)).toBe(true);
    expect((await collect(await repo.openBlob(blob))).equals(blob.bytes)).toBe(true);
  });

  it("mounts a blob from another repository without moving its bytes", async () => {
    const layer = image.layers[0]!;
    const content = contentOf(layer);
    const target = client.repository(proxy.host, "team/mounted");
    expect(await target.mountBlob(layer, "team/app", content)).toBe("mounted");
    expect(content.opened).toBe(0);
    expect(proxy.counter.count({ method: "PATCH" })).toBe(0);
    expect(proxy.counter.count({ method: "PUT" })).toBe(0);
    expect(uploads()).toEqual([["POST", "upload", 201]]);
    expect(await target.hasBlob(layer)).toBe(true);
  });

  it("uploads through the session the registry opened when the source repository lacks the blob", async () => {
    const blob = blobOf(layerType, bytesOf("mount-miss", 30_000));
    const content = contentOf(blob);
    const target = client.repository(proxy.host, "team/mount-miss");
    expect(await target.mountBlob(blob, "team/app", content)).toBe("uploaded");
    expect(content.opened).toBe(1);
    expect(uploads()).toEqual([
      ["POST", "upload", 202],
      ["PUT", "upload", 201],
    ]);
    expect(proxy.counter.filter({ method: "POST" })[0]?.path).toContain(
      `mount=${encodeURIComponent(blob.digest)}`,
    );
    expect(await collect(await target.openBlob(blob))).toEqual(blob.bytes);
  });

  it("uploads from scratch when the registry refuses the mount outright", async () => {
    const blob = blobOf(layerType, bytesOf("mount-refused", 20_000));
    proxy.inject({ type: "status", status: 404, method: "POST", path: /mount=/ });
    const content = contentOf(blob);
    const target = client.repository(proxy.host, "team/mount-refused");
    expect(await target.mountBlob(blob, "team/app", content)).toBe("uploaded");
    expect(content.opened).toBe(1);
    expect(uploads()).toEqual([
      ["POST", "upload", 404],
      ["POST", "upload", 202],
      ["PUT", "upload", 201],
    ]);
    expect(await target.hasBlob(blob)).toBe(true);
  });
});

describe("blob redirects", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let image: Image;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "basic" });
    proxy = await startFaultProxy(registry.url);
    image = await syntheticImage({ seed: "redirect", layers: [20_000] });
    await pushImage(registry, "team/app", "v1", image);
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("follows a blob GET to another host without sending it the Authorization", async () => {
    const { options } = withCredentials(proxy.host, registry.username!, registry.password!);
    const client = new RegistryClient(options);
    try {
      const repo = client.repository(proxy.host, "team/app");
      const layer = image.layers[0]!;
      // Learn the challenge first, so the blob GET itself carries credentials worth leaking.
      expect(await repo.hasBlob(layer)).toBe(true);
      proxy.reset();
      proxy.inject({ type: "redirect" });
      expect(await collect(await repo.openBlob(layer))).toEqual(layer.bytes);
      expect(proxy.counter.requests.map((r) => [r.method, r.status, r.authorized])).toEqual([
        ["GET", 307, true],
      ]);
      expect(proxy.otherHost.requests).toHaveLength(1);
      expect(proxy.otherHost.requests[0]).toMatchObject({ method: "GET", authorization: undefined });
    } finally {
      await client.close();
    }
  });
});
