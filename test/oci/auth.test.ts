import { isPolyarchError } from "@polyarch/errors";
import { RegistryClient } from "@polyarch/oci";
import {
  type FaultProxy,
  type Image,
  pushBlob,
  pushImage,
  type Registry,
  rejection,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TokenServer,
} from "@polyarch/test-harness";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contentOf, credentialFor, withCredentials } from "./support.ts";

describe("anonymous registry", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let image: Image;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    image = await syntheticImage({ seed: "auth-anon" });
    await pushImage(registry, "team/app", "v1", image);
  });
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("reads without ever sending Authorization", async () => {
    const client = new RegistryClient();
    try {
      const fetched = await client.repository(proxy.host, "team/app").getManifest("v1");
      expect(Buffer.from(fetched.bytes)).toEqual(image.manifest.bytes);
      expect(proxy.counter.count({ route: "manifest" })).toBe(1);
      expect(proxy.counter.requests.some((r) => r.authorized)).toBe(false);
    } finally {
      await client.close();
    }
  });
});

describe("Basic auth registry", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let image: Image;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "basic" });
    proxy = await startFaultProxy(registry.url);
    image = await syntheticImage({ seed: "auth-basic" });
    await pushImage(registry, "team/app", "v1", image);
  });
  beforeEach(() => proxy.reset());
  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
  });

  it("answers the challenge once with the right password, then sends it up front", async () => {
    const { options } = withCredentials(proxy.host, registry.username!, registry.password!);
    const client = new RegistryClient(options);
    try {
      const repo = client.repository(proxy.host, "team/app");
      expect(Buffer.from((await repo.getManifest("v1")).bytes)).toEqual(image.manifest.bytes);
      expect(await repo.hasBlob(image.config)).toBe(true);
      expect(proxy.counter.requests.map((r) => [r.method, r.status, r.authorized])).toEqual([
        ["GET", 401, false],
        ["GET", 200, true],
        ["HEAD", 200, true],
      ]);
    } finally {
      await client.close();
    }
  });

  it("fails a wrong password with POLYARCH_E_UNAUTHORIZED and keeps the password out of the error", async () => {
    const password = "wrong-horse-battery-staple-7f3a";
    const username = registry.username!;
    const { options, redactor } = withCredentials(proxy.host, username, password);
    const client = new RegistryClient(options);
    try {
      const error = await rejection(client.repository(proxy.host, "team/app").getManifest("v1"));
      expect(isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED")).toBe(true);
      // The password did reach the registry: the failure is the registry refusing it.
      expect(proxy.counter.filter({ status: 401 }).map((r) => r.authorized)).toEqual([false, true]);
      const text = [error.message, error.hint ?? "", String(error.cause ?? ""), error.stack ?? ""].join("\n");
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`${username}:${password}`).toString("base64"));
      expect(text).not.toContain(Buffer.from(password).toString("base64"));
      // The redactor knows the password in every form it travels in, and finds none of them.
      expect(redactor.redact(`Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`)).toBe(
        "Basic ***",
      );
      expect(redactor.redact(text)).toBe(text);
    } finally {
      await client.close();
    }
  });
});

describe("token auth registry", () => {
  let registry: Registry;
  let tokens: TokenServer;
  let proxy: FaultProxy;
  let tokenProxy: FaultProxy;
  let a: Image;
  let b: Image;
  let client: RegistryClient | undefined;
  const basicClient = () => {
    const { options } = withCredentials(proxy.host, registry.username!, registry.password!);
    client = new RegistryClient(options);
    return client;
  };
  /**
   * Points the next challenge's realm at a fault proxy in front of the token server, so a test sees
   * token requests as sent (query strings, methods) and can refuse some. The client keeps the realm
   * it learnt for the rest of its life.
   */
  const challengeViaTokenProxy = () =>
    proxy.inject({
      type: "addHeaders",
      method: "GET",
      path: /manifests/,
      headers: { "www-authenticate": `Bearer realm="${tokenProxy.url}/token",service="${tokens.service}"` },
    });
  const tokenScopes = () =>
    tokenProxy.counter.requests.map((r) =>
      new URL(r.path, tokenProxy.url).searchParams.getAll("scope").sort(),
    );

  beforeAll(async () => {
    registry = await startRegistry({ auth: "token" });
    tokens = registry.tokenServer!;
    proxy = await startFaultProxy(registry.url);
    tokenProxy = await startFaultProxy(new URL(tokens.realm).origin);
    a = await syntheticImage({ seed: "auth-token-a" });
    b = await syntheticImage({ seed: "auth-token-b" });
    await pushImage(registry, "team/a", "v1", a);
    await pushImage(registry, "team/b", "v1", b);
  });
  beforeEach(() => {
    tokens.clearRequests();
    proxy.reset();
    tokenProxy.reset();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });
  afterAll(async () => {
    await tokenProxy.stop();
    await proxy.stop();
    await registry.stop();
  });

  it("gets a token with GET and the scope as a query parameter, with Basic credentials", async () => {
    challengeViaTokenProxy();
    const repo = basicClient().repository(proxy.host, "team/a");
    expect((await repo.getManifest("v1")).digest).toBe(a.manifest.digest);
    expect(tokenProxy.counter.requests.map((r) => [r.method, r.status])).toEqual([["GET", 200]]);
    const url = new URL(tokenProxy.counter.requests[0]!.path, tokenProxy.url);
    expect(url.searchParams.getAll("scope")).toEqual(["repository:team/a:pull"]);
    expect(url.searchParams.get("service")).toBe(tokens.service);
    expect(tokens.requests).toMatchObject([
      { method: "GET", user: registry.username, status: 200, scopes: ["repository:team/a:pull"] },
    ]);
  });

  it("caches a token per scope set, gives each repository its own, and fetches it before asking", async () => {
    const repoA = basicClient().repository(proxy.host, "team/a");
    const repoB = client!.repository(proxy.host, "team/b");
    await repoA.getManifest("v1");
    await repoA.getManifest(a.manifest.digest);
    expect(await repoA.hasBlob(a.config)).toBe(true);
    expect(tokens.requests.map((r) => r.scopes)).toEqual([["repository:team/a:pull"]]);

    expect((await repoB.getManifest("v1")).digest).toBe(b.manifest.digest);
    expect(tokens.requests.map((r) => r.scopes)).toEqual([
      ["repository:team/a:pull"],
      ["repository:team/b:pull"],
    ]);
    // Only the very first request met a challenge; team/b's token was fetched before its request.
    expect(proxy.counter.count({ status: 401 })).toBe(1);
    expect(proxy.counter.filter({ path: "/team/b/" }).map((r) => [r.status, r.authorized])).toEqual([
      [200, true],
    ]);
  });

  it("asks for a cross-repository mount's two scopes in one token, as repeated scope params", async () => {
    const image = await syntheticImage({ seed: "auth-mount" });
    const layer = image.layers[0]!;
    await pushBlob(registry, "team/mount-src", layer);
    challengeViaTokenProxy();
    const repoClient = basicClient();
    // Learn the challenge first: the mount's token is then fetched for the scopes the client derives.
    await repoClient.repository(proxy.host, "team/a").getManifest("v1");
    tokenProxy.reset();
    const content = contentOf(layer);
    expect(
      await repoClient.repository(proxy.host, "team/mount-dst").mountBlob(layer, "team/mount-src", content),
    ).toBe("mounted");
    expect(content.opened).toBe(0);
    expect(tokenScopes()).toEqual([
      ["repository:team/mount-dst:pull,push", "repository:team/mount-src:pull"],
    ]);
    expect(tokens.requests.at(-1)).toMatchObject({
      status: 200,
      granted: expect.arrayContaining([
        { type: "repository", name: "team/mount-dst", actions: ["pull", "push"] },
        { type: "repository", name: "team/mount-src", actions: ["pull"] },
      ]),
    });
    expect(proxy.counter.filter({ method: "POST" }).map((r) => [r.status, r.authorized])).toEqual([
      [201, true],
    ]);
  });

  it("exchanges an identity token with an OAuth2 POST grant_type=refresh_token", async () => {
    const response = await fetch(tokens.realm, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "password",
        username: registry.username!,
        password: registry.password!,
        service: tokens.service,
        client_id: "docker-login",
        access_type: "offline",
      }),
    });
    const { refresh_token: refreshToken } = (await response.json()) as { refresh_token: string };
    expect(refreshToken).toEqual(expect.any(String));
    tokens.clearRequests();

    client = new RegistryClient({
      credentials: credentialFor(proxy.host, { kind: "identity-token", token: refreshToken }),
    });
    expect((await client.repository(proxy.host, "team/a").getManifest("v1")).digest).toBe(a.manifest.digest);
    expect(tokens.requests).toMatchObject([
      {
        method: "POST",
        grantType: "refresh_token",
        clientId: "polyarch",
        scopes: ["repository:team/a:pull"],
        user: registry.username,
        status: 200,
      },
    ]);
  });

  it.each([404, 405])(
    "falls back to a GET when the token endpoint answers a POST with %i",
    async (status) => {
      // A GET carries the identity token as the Basic password; this token server checks it like one.
      const identityToken = `identity-token-for-robot-${status}`;
      tokens.addUser("robot", identityToken);
      challengeViaTokenProxy();
      tokenProxy.inject({ type: "status", status, method: "POST" });
      client = new RegistryClient({
        credentials: credentialFor(proxy.host, {
          kind: "identity-token",
          token: identityToken,
          username: "robot",
        }),
      });
      expect((await client.repository(proxy.host, "team/a").getManifest("v1")).digest).toBe(
        a.manifest.digest,
      );
      expect(tokenProxy.counter.requests.map((r) => [r.method, r.status])).toEqual([
        ["POST", status],
        ["GET", 200],
      ]);
      expect(tokens.requests).toMatchObject([
        { method: "GET", user: "robot", hasCredentials: true, status: 200 },
      ]);
    },
  );

  it("does not reuse a token that expires within the safety margin", async () => {
    tokens.setExpiresIn(1);
    try {
      const repo = basicClient().repository(proxy.host, "team/a");
      await repo.getManifest("v1");
      await repo.getManifest("v1");
      expect(tokens.requests.map((r) => [r.scopes, r.status])).toEqual([
        [["repository:team/a:pull"], 200],
        [["repository:team/a:pull"], 200],
      ]);
    } finally {
      tokens.setExpiresIn(300);
    }
  });

  it("retries once on insufficient_scope, then reports the refusal", async () => {
    tokens.setGrants([{ account: "*", name: "*", actions: ["pull"] }]);
    try {
      const repo = basicClient().repository(proxy.host, "team/a");
      await repo.getManifest("v1");
      proxy.reset();
      tokens.clearRequests();
      const error = await rejection(repo.putManifest(a.manifest.bytes, a.manifest.mediaType, "pushed"));
      expect(
        isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED") || isPolyarchError(error, "POLYARCH_E_DENIED"),
      ).toBe(true);
      // Sent once with a token for pull,push, and once more after the insufficient_scope challenge.
      expect(proxy.counter.filter({ method: "PUT" }).map((r) => [r.status, r.authorized])).toEqual([
        [401, true],
        [401, true],
      ]);
      expect(tokens.requests.map((r) => r.scopes)).toEqual([
        ["repository:team/a:pull,push"],
        ["repository:team/a:pull,push"],
      ]);
    } finally {
      tokens.setGrants([{ account: "*", name: "*", actions: ["*"] }]);
    }
  });

  it("sends a registry token as is, without asking the token server", async () => {
    const token = tokens.issue(registry.username!, [
      { type: "repository", name: "team/b", actions: ["pull"] },
    ]);
    client = new RegistryClient({
      credentials: credentialFor(proxy.host, { kind: "registry-token", token }),
    });
    expect((await client.repository(proxy.host, "team/b").getManifest("v1")).digest).toBe(b.manifest.digest);
    expect(tokens.requests).toEqual([]);
  });

  it("fails a wrong password at the token server with POLYARCH_E_UNAUTHORIZED, password kept out", async () => {
    const password = "not-the-token-password-91c2";
    const { options, redactor } = withCredentials(proxy.host, registry.username!, password);
    client = new RegistryClient(options);
    const error = await rejection(client.repository(proxy.host, "team/a").getManifest("v1"));
    expect(isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED")).toBe(true);
    expect(tokens.requests).toMatchObject([{ method: "GET", hasCredentials: true, status: 401 }]);
    const text = [error.message, error.hint ?? "", error.stack ?? ""].join("\n");
    expect(text).not.toContain(password);
    expect(text).not.toContain(Buffer.from(`${registry.username}:${password}`).toString("base64"));
    expect(redactor.redact(text)).toBe(text);
  });
});
