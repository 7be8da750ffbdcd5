import { copyImage, LayoutStore, parseManifest, RegistryClient } from "@polyarch/oci";
import {
  attestationFor,
  type Image,
  type ImageIndex,
  indexOf,
  pushIndex,
  type Registry,
  skopeo,
  skopeoInspectRaw,
  startRegistry,
  syntheticImage,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, contentOf } from "./support.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

describe("polyarch and skopeo read each other's pushes", () => {
  let source: Registry;
  let target: Registry;
  let client: RegistryClient;
  let images: Image[];
  let index: ImageIndex;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: "basic" })]);
    const withCredentials = async (host: string) =>
      host === target.host
        ? { kind: "basic" as const, username: target.username!, password: target.password! }
        : undefined;
    client = new RegistryClient({ credentials: withCredentials });
    images = [
      await syntheticImage({ platform: amd64, seed: "skopeo", layers: 2 }),
      await syntheticImage({ platform: arm64, seed: "skopeo", layers: 2 }),
    ];
    index = indexOf([...images, await attestationFor(images[0]!)]);
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([source.stop(), target.stop()]);
  });

  it("skopeo inspect --raw returns what polyarch pushed, byte for byte", async () => {
    const repo = client.repository(target.host, "polyarch/pushed");
    for (const image of index.images) {
      for (const blob of [image.config, ...image.layers]) await repo.putBlob(blob, contentOf(blob));
      await repo.putManifest(image.manifest.bytes, image.manifest.mediaType);
    }
    await repo.putManifest(index.manifest.bytes, index.manifest.mediaType, "v1");

    const creds = { username: target.username!, password: target.password! };
    expect(await skopeoInspectRaw(`${target.host}/polyarch/pushed:v1`, { creds })).toEqual(
      index.manifest.bytes,
    );
    for (const image of index.images) {
      expect(
        await skopeoInspectRaw(`${target.host}/polyarch/pushed@${image.manifest.digest}`, { creds }),
      ).toEqual(image.manifest.bytes);
    }
    // skopeo can pull every blob too: a full copy out of the registry into a layout succeeds.
    const dir = await tempDir("polyarch-skopeo-out-");
    try {
      await skopeo(
        [
          "copy",
          "--all",
          "--preserve-digests",
          `docker://${target.host}/polyarch/pushed:v1`,
          `oci:${dir.path}:v1`,
        ],
        { srcCreds: creds },
      );
      expect((await new LayoutStore(dir.path).getManifest("v1")).digest).toBe(index.manifest.digest);
    } finally {
      await dir.remove();
    }
  });

  it("polyarch reads what skopeo copy --all pushed, with the same digests", async () => {
    await pushIndex(source, "upstream/app", "v1", index);
    await skopeo(
      [
        "copy",
        "--all",
        "--preserve-digests",
        `docker://${source.host}/upstream/app:v1`,
        `docker://${target.host}/mirror/app:v1`,
      ],
      { destCreds: { username: target.username!, password: target.password! } },
    );

    const repo = client.repository(target.host, "mirror/app");
    const fetched = await repo.getManifest("v1");
    expect(fetched.digest).toBe(index.manifest.digest);
    expect(Buffer.from(fetched.bytes)).toEqual(index.manifest.bytes);
    const parsed = parseManifest(fetched.bytes, fetched.digest, fetched.mediaType);
    if (parsed.kind !== "index") throw new Error(`expected an index, got ${parsed.kind}`);
    expect(parsed.index.manifests.map((m) => m.digest)).toEqual(index.images.map((i) => i.manifest.digest));
    for (const image of index.images) {
      const child = await repo.getManifest(image.manifest.digest);
      expect(Buffer.from(child.bytes)).toEqual(image.manifest.bytes);
      for (const blob of [image.config, ...image.layers]) {
        expect(await collect(await repo.openBlob(blob))).toEqual(blob.bytes);
      }
    }
  });

  it("copies between the registries itself and skopeo sees the same index", async () => {
    await pushIndex(source, "upstream/copied", "v1", index);
    const from = client.repository(source.host, "upstream/copied");
    const to = client.repository(target.host, "polyarch/copied");
    const stats = await copyImage(from, to, await from.getManifest("v1"), { tag: "v1" });
    expect(stats).toMatchObject({ manifests: 4, blobs: { copied: 8 } });
    const creds = { username: target.username!, password: target.password! };
    expect(await skopeoInspectRaw(`${target.host}/polyarch/copied:v1`, { creds })).toEqual(
      index.manifest.bytes,
    );
  });
});
