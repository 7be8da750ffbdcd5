import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { execa } from "execa";
import tar from "tar-stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attestationFor,
  busyboxImage,
  busyboxPath,
  decodeJwt,
  elfMachine,
  type FaultProxy,
  fetchManifest,
  HttpStatusError,
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  sha256Digest,
  skopeo,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  tempDir,
} from "./index.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

describe("anonymous registry", () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(() => registry.stop());

  it("accepts a push and serves the manifest bytes back to raw fetch and skopeo", async () => {
    const image = await syntheticImage({ layers: [100, 3000], seed: "anon" });
    const pushed = await pushImage(registry, "smoke/anon", "v1", image);
    expect(pushed.digest).toBe(image.manifest.digest);

    const response = await fetch(`${registry.url}/v2/smoke/anon/manifests/v1`, {
      headers: { accept: image.manifest.mediaType },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toBe(image.manifest.digest);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(image.manifest.bytes);
    expect(await skopeoInspectRaw(`${registry.host}/smoke/anon:v1`)).toEqual(image.manifest.bytes);
  });

  it("pushes OCI indexes with attestations and Docker manifest lists byte for byte", async () => {
    const a = await syntheticImage({ platform: amd64, seed: "idx" });
    const b = await syntheticImage({ platform: { ...arm64, variant: "v8" }, seed: "idx" });
    const oci = indexOf([a, b, await attestationFor(a)]);
    await pushIndex(registry, "smoke/index", "oci", oci);
    expect(await skopeoInspectRaw(`${registry.host}/smoke/index:oci`)).toEqual(oci.manifest.bytes);
    const listed = JSON.parse(oci.manifest.bytes.toString()) as { manifests: Array<Record<string, unknown>> };
    expect(listed.manifests[2]).toMatchObject({
      platform: { architecture: "unknown", os: "unknown" },
      annotations: {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": a.manifest.digest,
      },
    });

    const da = await syntheticImage({ platform: amd64, seed: "list", format: "docker" });
    const db = await syntheticImage({ platform: arm64, seed: "list", format: "docker" });
    const list = indexOf([da, db], { format: "docker" });
    await pushIndex(registry, "smoke/index", "docker", list);
    const fetched = await fetchManifest(registry, "smoke/index", "docker");
    expect(fetched.mediaType).toBe("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(fetched.bytes).toEqual(list.manifest.bytes);
  });

  it("builds deterministic fixtures: same seed, same digest; new seed, new digest", async () => {
    const one = await syntheticImage({ layers: 2, seed: 7 });
    const again = await syntheticImage({ layers: 2, seed: 7 });
    const other = await syntheticImage({ layers: 2, seed: 8 });
    expect(again.manifest.digest).toBe(one.manifest.digest);
    expect(other.manifest.digest).not.toBe(one.manifest.digest);
  });

  it("keeps a reused storage dir across registries and cleans up its own on stop", async () => {
    const storage = await tempDir();
    const first = await startRegistry({ storageDir: storage.path });
    const image = await syntheticImage({ seed: "reuse" });
    await pushImage(first, "smoke/reuse", "v1", image);
    await first.stop();
    await expect(fetch(`${first.url}/v2/`)).rejects.toThrow();
    expect(existsSync(first.logFile)).toBe(false);

    const second = await startRegistry({ storageDir: storage.path });
    expect((await fetchManifest(second, "smoke/reuse", "v1")).bytes).toEqual(image.manifest.bytes);
    await second.stop();
    expect(existsSync(storage.path)).toBe(true);
    await storage.remove();
  });
});

describe("basic auth registry", () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "basic" });
  });
  afterAll(() => registry.stop());

  it("accepts the right password and refuses a wrong one or none with 401", async () => {
    const image = await syntheticImage({ seed: "basic" });
    await pushImage(registry, "smoke/basic", "v1", image);
    expect((await fetchManifest(registry, "smoke/basic", "v1")).bytes).toEqual(image.manifest.bytes);

    const wrong = { auth: { username: registry.username!, password: "wrong" } };
    expect((await fetchManifest(registry, "smoke/basic", "v1", wrong)).status).toBe(401);
    expect((await fetchManifest(registry, "smoke/basic", "v1", { auth: "anonymous" })).status).toBe(401);
    await expect(pushImage(registry, "smoke/basic", "v2", image, wrong)).rejects.toMatchObject({
      status: 401,
    });

    const creds = { username: registry.username!, password: registry.password! };
    expect(await skopeoInspectRaw(`${registry.host}/smoke/basic:v1`, { creds })).toEqual(
      image.manifest.bytes,
    );
    await expect(skopeoInspectRaw(`${registry.host}/smoke/basic:v1`)).rejects.toThrow(/unauthorized|401/i);
  });
});

describe("token auth registry", () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "token", users: { alice: "alice-secret" } });
  });
  afterAll(() => registry.stop());

  it("issues ES256 JWTs with x5c that the registry accepts, and records the flow", async () => {
    const tokens = registry.tokenServer!;
    tokens.clearRequests();
    const image = await syntheticImage({ seed: "token" });
    await pushImage(registry, "smoke/token", "v1", image);
    expect((await fetchManifest(registry, "smoke/token", "v1")).bytes).toEqual(image.manifest.bytes);
    expect(tokens.requests[0]).toMatchObject({
      method: "GET",
      scopes: ["repository:smoke/token:pull,push"],
      service: tokens.service,
      hasCredentials: true,
      user: registry.username,
      status: 200,
      granted: [{ type: "repository", name: "smoke/token", actions: ["pull", "push"] }],
    });

    const response = await fetch(
      `${tokens.realm}?service=${tokens.service}&scope=repository:smoke/token:pull`,
      {
        headers: { authorization: `Basic ${Buffer.from("alice:alice-secret").toString("base64")}` },
      },
    );
    const body = (await response.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    const { header, claims } = decodeJwt(body.token);
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT", x5c: [expect.any(String)] });
    expect(claims).toMatchObject({ iss: tokens.issuer, aud: tokens.service, sub: "alice" });
    expect(claims.exp - claims.iat).toBe(body.expires_in);
  });

  it("refuses scopes the token server did not grant, per user and repository", async () => {
    const tokens = registry.tokenServer!;
    tokens.setGrants([{ account: "alice", name: "team/*", actions: ["pull", "push"] }]);
    try {
      const alice = { auth: { username: "alice", password: "alice-secret" } };
      const image = await syntheticImage({ seed: "scoped" });
      await pushImage(registry, "team/app", "v1", image, alice);
      const refused = pushImage(registry, "other/app", "v1", image, alice);
      await expect(refused).rejects.toBeInstanceOf(HttpStatusError);
      await expect(refused).rejects.toMatchObject({ status: 401 });
      expect(tokens.requests.at(-1)).toMatchObject({ user: "alice", granted: [] });
      // The default user has no grant left at all.
      expect((await fetchManifest(registry, "team/app", "v1")).status).toBe(401);
      // Anonymous: a token with no access by default; pull everywhere when switched on.
      expect((await fetchManifest(registry, "team/app", "v1", { auth: "anonymous" })).status).toBe(401);
      tokens.setAnonymous("pull");
      expect((await fetchManifest(registry, "team/app", "v1", { auth: "anonymous" })).status).toBe(200);
      expect(tokens.requests.at(-1)).toMatchObject({ hasCredentials: false, user: undefined });
    } finally {
      tokens.setGrants([{ account: "*", name: "*", actions: ["*"] }]);
      tokens.setAnonymous("none");
    }
  });

  it("serves the OAuth2 POST flow with refresh tokens, and the registry rejects expired tokens", async () => {
    const tokens = registry.tokenServer!;
    const image = await syntheticImage({ seed: "oauth" });
    await pushImage(registry, "smoke/oauth", "v1", image);
    const post = (form: Record<string, string>) =>
      fetch(tokens.realm, { method: "POST", body: new URLSearchParams(form) }).then(
        async (r) => [r.status, (await r.json()) as Record<string, string>] as const,
      );
    const [status, first] = await post({
      grant_type: "password",
      username: registry.username!,
      password: registry.password!,
      service: tokens.service,
      client_id: "polyarch-test",
      access_type: "offline",
      scope: "repository:smoke/oauth:pull",
    });
    expect(status).toBe(200);
    expect(first.refresh_token).toEqual(expect.any(String));
    const [, refreshed] = await post({
      grant_type: "refresh_token",
      refresh_token: first.refresh_token!,
      service: tokens.service,
      client_id: "polyarch-test",
      scope: "repository:smoke/oauth:pull",
    });
    expect(refreshed.refresh_token).toBeUndefined();
    expect(tokens.requests.slice(-2).map((r) => [r.method, r.grantType, r.offline, r.clientId])).toEqual([
      ["POST", "password", true, "polyarch-test"],
      ["POST", "refresh_token", false, "polyarch-test"],
    ]);
    expect((await post({ grant_type: "password", username: "alice", password: "nope" }))[0]).toBe(401);

    const manifestUrl = `${registry.url}/v2/smoke/oauth/manifests/v1`;
    const accept = image.manifest.mediaType;
    const ok = await fetch(manifestUrl, {
      headers: { accept, authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(ok.status).toBe(200);
    const expired = tokens.issue(
      "polyarch",
      [{ type: "repository", name: "smoke/oauth", actions: ["pull"] }],
      -300,
    );
    const late = await fetch(manifestUrl, { headers: { accept, authorization: `Bearer ${expired}` } });
    expect(late.status).toBe(401);
  });

  it("lets skopeo copy into it with credentials", async () => {
    const source = await startRegistry();
    try {
      const image = await syntheticImage({ seed: "copy", layers: 2 });
      await pushImage(source, "smoke/src", "v1", image);
      const destCreds = { username: registry.username!, password: registry.password! };
      await skopeo(
        ["copy", `docker://${source.host}/smoke/src:v1`, `docker://${registry.host}/smoke/copied:v1`],
        {
          destCreds,
        },
      );
      expect((await fetchManifest(registry, "smoke/copied", "v1")).bytes).toEqual(image.manifest.bytes);
    } finally {
      await source.stop();
    }
  });
});

describe("fault proxy", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let blobPath: string;
  let blob: Buffer;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    const image = await syntheticImage({ layers: [64 * 1024], seed: "proxy" });
    await pushImage({ url: proxy.url }, "smoke/proxy", "v1", image);
    blob = image.layers[0]!.bytes;
    blobPath = `/v2/smoke/proxy/blobs/${image.layers[0]!.digest}`;
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("forwards faithfully and counts requests by method and route", async () => {
    proxy.reset();
    const counted = await syntheticImage({ layers: [1024], seed: "proxy-count" });
    await pushImage({ url: proxy.url }, "smoke/counted", "v1", counted);
    const counter = proxy.counter;
    expect(counter.count({ method: "PUT", route: "manifest" })).toBe(1);
    expect(counter.count({ method: "POST", route: "upload", status: 202 })).toBe(2);
    expect(counter.count({ method: "PUT", route: "upload", status: 201 })).toBe(2);
    const response = await fetch(proxy.url + blobPath);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(blob);
    expect(counter.filter({ path: blobPath }).at(-1)).toMatchObject({
      method: "GET",
      route: "blob",
      status: 200,
    });
  });

  it("forwards a chunked streaming upload (PATCH without Content-Length)", async () => {
    const bytes = Buffer.from("streamed through the proxy in chunks");
    const start = await request(`${proxy.url}/v2/smoke/proxy/blobs/uploads/`, { method: "POST" });
    await start.body.dump();
    const patch = await request(new URL(String(start.headers.location)), {
      method: "PATCH",
      body: Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]),
    });
    await patch.body.dump();
    expect(patch.statusCode).toBe(202);
    const done = new URL(String(patch.headers.location));
    done.searchParams.set("digest", sha256Digest(bytes));
    const put = await request(done, { method: "PUT" });
    await put.body.dump();
    expect(put.statusCode).toBe(201);
    const blobUrl = `${registry.url}/v2/smoke/proxy/blobs/${sha256Digest(bytes)}`;
    expect(Buffer.from(await (await fetch(blobUrl)).arrayBuffer())).toEqual(bytes);
  });

  it("hands out upload Locations on the proxy, forwarding Host or rewriting Location", async () => {
    const start = await fetch(`${proxy.url}/v2/smoke/proxy/blobs/uploads/`, { method: "POST" });
    expect(start.headers.get("location")).toMatch(new RegExp(`^${proxy.url}/v2/smoke/proxy/blobs/uploads/`));
    const rewriting = await startFaultProxy(registry.url, { forwardHost: false });
    try {
      const again = await fetch(`${rewriting.url}/v2/smoke/proxy/blobs/uploads/`, { method: "POST" });
      expect(again.headers.get("location")).toMatch(
        new RegExp(`^${rewriting.url}/v2/smoke/proxy/blobs/uploads/`),
      );
    } finally {
      await rewriting.stop();
    }
  });

  it("injects 5xx and 429 with Retry-After for the next N matching requests only", async () => {
    const outage = proxy.inject({
      type: "status",
      status: 502,
      method: "GET",
      path: /\/manifests\//,
      times: 2,
    });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await fetchManifest({ url: proxy.url }, "smoke/proxy", "v1")).status);
    expect(statuses).toEqual([502, 502, 200]);
    expect(outage.hits).toBe(2);

    proxy.inject({ type: "rate-limit", retryAfter: 3 });
    const limited = await fetch(proxy.url + blobPath);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "3"]);
    expect(proxy.counter.requests.at(-1)).toMatchObject({ status: 429, fault: "rate-limit" });
  });

  it("resets connections mid-body and truncates bodies", async () => {
    proxy.inject({ type: "reset", path: /\/blobs\// });
    const reset = await request(proxy.url + blobPath);
    expect(reset.statusCode).toBe(200);
    await expect(reset.body.arrayBuffer()).rejects.toThrow();

    proxy.inject({ type: "truncate", path: /\/blobs\//, afterBytes: 1000 });
    const truncated = await request(proxy.url + blobPath);
    expect(truncated.headers["content-length"]).toBe(String(blob.length));
    await expect(truncated.body.arrayBuffer()).rejects.toThrow();

    expect((await request(proxy.url + blobPath).then((r) => r.body.arrayBuffer())).byteLength).toBe(
      blob.length,
    );
  });

  it("corrupts bodies at the same length and adds latency", async () => {
    proxy.inject({ type: "corrupt", path: /\/blobs\// });
    const corrupt = Buffer.from(await (await fetch(proxy.url + blobPath)).arrayBuffer());
    expect(corrupt.length).toBe(blob.length);
    expect(sha256Digest(corrupt)).not.toBe(sha256Digest(blob));

    // No clock in the assertion: the proxy records which fault each request got, and the body still arrives.
    const delay = proxy.inject({ type: "delay", ms: 20 });
    const delayed = Buffer.from(await (await fetch(proxy.url + blobPath)).arrayBuffer());
    expect(delay.hits).toBe(1);
    expect(proxy.counter.requests.at(-1)?.fault).toBe("delay");
    expect(delayed.equals(blob)).toBe(true);
  });

  it("redirects blob GETs to another host that records the Authorization it receives", async () => {
    proxy.inject({ type: "redirect", times: 2 });
    const followed = await fetch(proxy.url + blobPath, { headers: { authorization: "Bearer secret" } });
    expect(followed.url.startsWith(proxy.otherHost.url)).toBe(true);
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(blob);
    // fetch drops Authorization on a cross-origin redirect; a leaky client would not.
    expect(proxy.otherHost.requests.at(-1)?.authorization).toBeUndefined();

    const redirect = await request(proxy.url + blobPath, { headers: { authorization: "Bearer secret" } });
    await redirect.body.dump();
    expect(redirect.statusCode).toBe(307);
    const location = String(redirect.headers.location);
    expect(new URL(location).host).not.toBe(proxy.host);
    const leaky = await request(location, { headers: { authorization: "Bearer secret" } });
    expect(Buffer.from(await leaky.body.arrayBuffer())).toEqual(blob);
    expect(proxy.otherHost.requests.at(-1)?.authorization).toBe("Bearer secret");
  });
});

describe("busybox fixtures", () => {
  it("finds real amd64 and arm64 busybox binaries", async () => {
    expect(elfMachine(await readFile(busyboxPath("amd64")))).toBe(0x3e);
    expect(elfMachine(await readFile(busyboxPath("arm64")))).toBe(0xb7);
    const { stdout } = await execa("qemu-aarch64-static", [busyboxPath("arm64"), "uname", "-m"]);
    expect(stdout).toBe("aarch64");
  });

  it("builds a mislabelled image: arm64 binary, config saying amd64, pushable and inspectable", async () => {
    const image = await busyboxImage({
      arch: "arm64",
      labelAs: amd64,
      path: "/usr/bin/gitlab-runner-helper",
    });
    expect(JSON.parse(image.config.bytes.toString())).toMatchObject({ architecture: "amd64", os: "linux" });
    const files = await untar(gunzipSync(image.layers[0]!.bytes));
    expect(Object.keys(files)).toEqual(["usr/", "usr/bin/", "usr/bin/gitlab-runner-helper"]);
    expect(elfMachine(files["usr/bin/gitlab-runner-helper"]!)).toBe(0xb7);

    const registry = await startRegistry();
    try {
      await pushImage(registry, "smoke/busybox", "mislabelled", image);
      expect(await skopeoInspectRaw(`${registry.host}/smoke/busybox:mislabelled`)).toEqual(
        image.manifest.bytes,
      );
      const inspected = JSON.parse(
        await skopeo(["inspect", `docker://${registry.host}/smoke/busybox:mislabelled`]),
      );
      expect(inspected.Architecture).toBe("amd64");
    } finally {
      await registry.stop();
    }
  });
});

async function untar(bytes: Buffer): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files[entry.header.name] = Buffer.concat(chunks);
    }
  })();
  extract.end(bytes);
  await done;
  return files;
}
