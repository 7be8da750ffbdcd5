import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { copyImage, LayoutStore, REF_NAME, RegistryClient } from "@polyarch/oci";
import {
  fetchManifest,
  type Image,
  type ImageIndex,
  indexOf,
  pushIndex,
  type Registry,
  skopeo,
  skopeoInspectRaw,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { collect, contentOf } from "./support.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64", variant: "v8" };

/** Writes an index and everything it lists into a layout: blobs, then children by digest, then the index by tag. */
async function writeIndex(store: LayoutStore, index: ImageIndex, tag: string): Promise<void> {
  for (const image of index.images) await writeImage(store, image);
  await store.putManifest(index.manifest.bytes, index.manifest.mediaType, tag);
}

async function writeImage(store: LayoutStore, image: Image, tag?: string): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await store.putBlob(blob, contentOf(blob));
  await store.putManifest(image.manifest.bytes, image.manifest.mediaType, tag);
}

describe("OCI image layout", () => {
  let registry: Registry;
  let client: RegistryClient;
  let dir: TempDir;
  let index: ImageIndex;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new RegistryClient();
    index = indexOf([
      await syntheticImage({ platform: amd64, seed: "layout", layers: 2 }),
      await syntheticImage({ platform: arm64, seed: "layout", layers: 2 }),
    ]);
  });
  beforeEach(async () => {
    dir = await tempDir("polyarch-layout-");
  });
  afterEach(() => dir.remove());
  afterAll(async () => {
    await client.close();
    await registry.stop();
  });

  it("writes an image and an index and reads them back", async () => {
    const store = new LayoutStore(dir.path);
    const single = await syntheticImage({ seed: "layout-single" });
    await writeImage(store, single, "single");
    await writeIndex(store, index, "multi");

    expect(await store.listTags()).toEqual(["single", "multi"]);
    for (const [tag, manifest] of [
      ["single", single.manifest],
      ["multi", index.manifest],
    ] as const) {
      const fetched = await store.getManifest(tag);
      expect(Buffer.from(fetched.bytes)).toEqual(manifest.bytes);
      expect(fetched).toMatchObject({ digest: manifest.digest, mediaType: manifest.mediaType });
      expect(await store.headManifest(tag)).toEqual({
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        size: manifest.size,
      });
    }
    // Children of the index are found by digest though index.json does not list them.
    const child = index.images[1]!;
    expect((await store.getManifest(child.manifest.digest)).digest).toBe(child.manifest.digest);
    const layer = child.layers[1]!;
    expect(await store.hasBlob(layer)).toBe(true);
    expect(await collect(await store.openBlob(layer))).toEqual(layer.bytes);

    expect(JSON.parse(await readFile(join(dir.path, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    const written = JSON.parse(await readFile(join(dir.path, "index.json"), "utf8")) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    expect(written.manifests.map((m) => [m.digest, m.annotations?.[REF_NAME]])).toEqual([
      [single.manifest.digest, "single"],
      [index.manifest.digest, "multi"],
    ]);
    const blob = await readFile(join(dir.path, "blobs", "sha256", layer.digest.slice("sha256:".length)));
    expect(blob).toEqual(layer.bytes);
  });

  it("moves a tag instead of listing it twice", async () => {
    const store = new LayoutStore(dir.path);
    const first = await syntheticImage({ seed: "layout-first" });
    const second = await syntheticImage({ seed: "layout-second" });
    await writeImage(store, first, "latest");
    await writeImage(store, second, "latest");
    expect(await store.listTags()).toEqual(["latest"]);
    expect((await store.getManifest("latest")).digest).toBe(second.manifest.digest);
  });

  it("is read byte for byte by skopeo's oci transport", async () => {
    const store = new LayoutStore(dir.path);
    await writeIndex(store, index, "multi");
    expect(await skopeoInspectRaw(`oci:${dir.path}:multi`)).toEqual(index.manifest.bytes);
    // skopeo can also read every blob it points to: copy it all to the registry and compare there.
    await skopeo([
      "copy",
      "--all",
      "--preserve-digests",
      `oci:${dir.path}:multi`,
      `docker://${registry.host}/from/layout:multi`,
    ]);
    const copied = await fetchManifest(registry, "from/layout", "multi");
    expect(copied.digest).toBe(index.manifest.digest);
  });

  it("copies registry → layout → registry with the same digests", async () => {
    await pushIndex(registry, "team/src", "v1", index);
    const source = client.repository(registry.host, "team/src");
    const layout = new LayoutStore(dir.path);
    const pulled = await copyImage(source, layout, await source.getManifest("v1"), { tag: "v1" });
    expect(pulled).toMatchObject({ manifests: 3, blobs: { copied: 6, exists: 0, mounted: 0 } });
    expect(await layout.headManifest("v1")).toMatchObject({ digest: index.manifest.digest });
    for (const image of index.images) {
      expect((await layout.getManifest(image.manifest.digest)).digest).toBe(image.manifest.digest);
    }
    expect(await skopeoInspectRaw(`oci:${dir.path}:v1`)).toEqual(index.manifest.bytes);

    const target = client.repository(registry.host, "team/dst");
    const pushed = await copyImage(layout, target, await layout.getManifest("v1"), { tag: "v1" });
    expect(pushed).toMatchObject({ manifests: 3, blobs: { copied: 6 } });
    const back = await fetchManifest(registry, "team/dst", "v1");
    expect(back).toMatchObject({ digest: index.manifest.digest, mediaType: index.manifest.mediaType });
    expect(back.bytes).toEqual(index.manifest.bytes);
    for (const image of index.images) {
      expect((await fetchManifest(registry, "team/dst", image.manifest.digest)).bytes).toEqual(
        image.manifest.bytes,
      );
    }

    // A second run finds everything in place and copies nothing.
    const again = await copyImage(source, layout, await source.getManifest("v1"), { tag: "v1" });
    expect(again.blobs.copied).toBe(0);
  });

  it("keeps a Docker manifest list's media type through a layout", async () => {
    const list = indexOf(
      [
        await syntheticImage({ platform: amd64, seed: "layout-docker", format: "docker" }),
        await syntheticImage({ platform: arm64, seed: "layout-docker", format: "docker" }),
      ],
      { format: "docker" },
    );
    await pushIndex(registry, "team/docker-src", "v1", list);
    const source = client.repository(registry.host, "team/docker-src");
    const layout = new LayoutStore(dir.path);
    await copyImage(source, layout, await source.getManifest("v1"), { tag: "v1" });
    expect(await layout.headManifest("v1")).toEqual({
      digest: list.manifest.digest,
      mediaType: list.manifest.mediaType,
      size: list.manifest.size,
    });
    const target = client.repository(registry.host, "team/docker-dst");
    await copyImage(layout, target, await layout.getManifest("v1"), { tag: "v1" });
    const back = await fetchManifest(registry, "team/docker-dst", "v1");
    expect(back).toMatchObject({ digest: list.manifest.digest, mediaType: list.manifest.mediaType });
  });
});
