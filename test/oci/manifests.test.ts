import { isPolyarchError } from "@polyarch/errors";
import { RegistryClient } from "@polyarch/oci";
import {
  type Blob,
  type FaultProxy,
  fetchManifest,
  indexOf,
  pushBlob,
  pushImage,
  pushIndex,
  type Registry,
  rejection,
  startFaultProxy,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fastRetry } from "./support.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

describe("manifests", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  /** tag → the manifest pushed under it by the harness's raw client. */
  const pushed = new Map<string, Blob>();
  const repo = () => client.repository(proxy.host, "team/app");

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    client = new RegistryClient({ retry: fastRetry });
    const oci = [
      await syntheticImage({ platform: amd64, seed: "m-oci" }),
      await syntheticImage({ platform: arm64, seed: "m-oci" }),
    ];
    const docker = [
      await syntheticImage({ platform: amd64, seed: "m-docker", format: "docker" }),
      await syntheticImage({ platform: arm64, seed: "m-docker", format: "docker" }),
    ];
    const ociIndex = indexOf(oci);
    const dockerList = indexOf(docker, { format: "docker" });
    await pushIndex(registry, "team/app", "oci-index", ociIndex);
    await pushIndex(registry, "team/app", "docker-list", dockerList);
    await pushImage(registry, "team/app", "oci-image", oci[0]!);
    await pushImage(registry, "team/app", "docker-image", docker[0]!);
    pushed.set("oci-index", ociIndex.manifest);
    pushed.set("docker-list", dockerList.manifest);
    pushed.set("oci-image", oci[0]!.manifest);
    pushed.set("docker-image", docker[0]!.manifest);
  });
  beforeEach(() => proxy.reset());
  afterAll(async () => {
    await client.close();
    await proxy.stop();
    await registry.stop();
  });

  it.each([
    ["oci-index", "application/vnd.oci.image.index.v1+json"],
    ["oci-image", "application/vnd.oci.image.manifest.v1+json"],
    ["docker-list", "application/vnd.docker.distribution.manifest.list.v2+json"],
    ["docker-image", "application/vnd.docker.distribution.manifest.v2+json"],
  ])("GETs a %s byte for byte, with its media type and digest", async (tag, mediaType) => {
    const expected = pushed.get(tag)!;
    const byTag = await repo().getManifest(tag);
    expect(Buffer.from(byTag.bytes)).toEqual(expected.bytes);
    expect(byTag).toMatchObject({ mediaType, digest: expected.digest });
    const byDigest = await repo().getManifest(expected.digest);
    expect(Buffer.from(byDigest.bytes)).toEqual(expected.bytes);
    expect(byDigest).toMatchObject({ mediaType, digest: expected.digest });
  });

  it.each(["oci-index", "oci-image", "docker-list", "docker-image"])(
    "HEADs a %s without reading it",
    async (tag) => {
      const expected = pushed.get(tag)!;
      expect(await repo().headManifest(tag)).toEqual({
        digest: expected.digest,
        mediaType: expected.mediaType,
        size: expected.size,
      });
      expect(proxy.counter.requests.map((r) => [r.method, r.route, r.status])).toEqual([
        ["HEAD", "manifest", 200],
      ]);
    },
  );

  it("answers undefined for a HEAD of a tag that does not exist, and MANIFEST_UNKNOWN for a GET", async () => {
    expect(await repo().headManifest("missing")).toBeUndefined();
    const error = await rejection(repo().getManifest("missing"));
    expect(isPolyarchError(error, "POLYARCH_E_MANIFEST_UNKNOWN")).toBe(true);
    expect(error.message).toContain(`${proxy.host}/team/app has no manifest :missing`);
  });

  it("falls back to a GET when HEAD is not allowed", async () => {
    proxy.inject({ type: "status", status: 405, method: "HEAD", path: /manifests/ });
    const expected = pushed.get("oci-index")!;
    expect(await repo().headManifest("oci-index")).toEqual({
      digest: expected.digest,
      mediaType: expected.mediaType,
      size: expected.size,
    });
    expect(proxy.counter.requests.map((r) => [r.method, r.status])).toEqual([
      ["HEAD", 405],
      ["GET", 200],
    ]);
  });

  it("falls back to a GET when HEAD answers without Docker-Content-Digest", async () => {
    proxy.inject({
      type: "removeHeaders",
      headers: ["docker-content-digest"],
      method: "HEAD",
      path: /manifests/,
    });
    const expected = pushed.get("docker-list")!;
    expect(await repo().headManifest("docker-list")).toEqual({
      digest: expected.digest,
      mediaType: expected.mediaType,
      size: expected.size,
    });
    expect(proxy.counter.requests.map((r) => [r.method, r.status])).toEqual([
      ["HEAD", 200],
      ["GET", 200],
    ]);
  });

  it("PUTs a manifest by digest and by tag", async () => {
    const image = await syntheticImage({ seed: "m-put", layers: 2 });
    for (const blob of [image.config, ...image.layers]) await pushBlob(registry, "team/put", blob);
    const target = client.repository(proxy.host, "team/put");

    expect(await target.putManifest(image.manifest.bytes, image.manifest.mediaType)).toBe(
      image.manifest.digest,
    );
    expect(proxy.counter.filter({ method: "PUT" }).map((r) => r.path)).toEqual([
      `/v2/team/put/manifests/${image.manifest.digest}`,
    ]);
    const byDigest = await fetchManifest(registry, "team/put", image.manifest.digest);
    expect(byDigest.bytes).toEqual(image.manifest.bytes);
    expect(await target.listTags()).toEqual([]);

    expect(await target.putManifest(image.manifest.bytes, image.manifest.mediaType, "v1")).toBe(
      image.manifest.digest,
    );
    const byTag = await fetchManifest(registry, "team/put", "v1");
    expect(byTag).toMatchObject({
      status: 200,
      digest: image.manifest.digest,
      mediaType: image.manifest.mediaType,
    });
    expect(byTag.bytes).toEqual(image.manifest.bytes);
  });

  it("PUTs an index by tag after its children by digest", async () => {
    const images = [
      await syntheticImage({ platform: amd64, seed: "m-put-idx" }),
      await syntheticImage({ platform: arm64, seed: "m-put-idx" }),
    ];
    const index = indexOf(images);
    const target = client.repository(proxy.host, "team/put-index");
    for (const image of images) {
      for (const blob of [image.config, ...image.layers]) await pushBlob(registry, "team/put-index", blob);
      await target.putManifest(image.manifest.bytes, image.manifest.mediaType);
    }
    expect(await target.putManifest(index.manifest.bytes, index.manifest.mediaType, "multi")).toBe(
      index.manifest.digest,
    );
    expect((await fetchManifest(registry, "team/put-index", "multi")).bytes).toEqual(index.manifest.bytes);
  });

  it.each([
    ["a tag", "oci-image"],
    ["a digest", "digest"],
  ])("detects a manifest corrupted in transit, read by %s", async (_what, reference) => {
    const expected = pushed.get("oci-image")!;
    proxy.inject({ type: "corrupt", method: "GET", path: /manifests/ });
    const error = await rejection(repo().getManifest(reference === "digest" ? expected.digest : reference));
    expect(isPolyarchError(error, "POLYARCH_E_DIGEST_MISMATCH")).toBe(true);
    expect(error.message).toContain(expected.digest);
    // Corruption is reported, not papered over by a retry.
    expect(proxy.counter.count({ method: "GET" })).toBe(1);
  });
});

describe("tags", () => {
  let registry: Registry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    client = new RegistryClient({ retry: fastRetry });
    const image = await syntheticImage({ seed: "tags" });
    for (const tag of ["t1", "t2", "t3"]) await pushImage(registry, "team/tags", tag, image);
    for (const tag of ["t4", "t5"]) await pushImage(registry, "team/tags-page2", tag, image);
  });
  beforeEach(() => proxy.reset());
  afterAll(async () => {
    await client.close();
    await proxy.stop();
    await registry.stop();
  });

  it("lists every tag in one page when the registry sends no Link", async () => {
    const tags = await client.repository(proxy.host, "team/tags").listTags();
    expect([...tags].sort()).toEqual(["t1", "t2", "t3"]);
    expect(proxy.counter.filter({ route: "tags" }).map((r) => r.path)).toEqual([
      "/v2/team/tags/tags/list?n=1000",
    ]);
  });

  it("follows Link rel=next until the last page", async () => {
    // distribution 2.8 ignores n and never paginates; the proxy adds the Link header a paginating
    // registry sends, and the next page is served by a second repository with the remaining tags.
    const next = "/v2/team/tags-page2/tags/list?last=t3&n=1000";
    proxy.inject({
      type: "addHeaders",
      method: "GET",
      path: /\/v2\/team\/tags\/tags\/list/,
      headers: { link: `<${next}>; rel="next"` },
    });
    const tags = await client.repository(proxy.host, "team/tags").listTags();
    expect([...tags].sort()).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    expect(proxy.counter.filter({ route: "tags" }).map((r) => [r.path, r.status])).toEqual([
      ["/v2/team/tags/tags/list?n=1000", 200],
      [next, 200],
    ]);
  });

  it("lists nothing for a repository that does not exist", async () => {
    expect(await client.repository(proxy.host, "team/none").listTags()).toEqual([]);
  });
});
