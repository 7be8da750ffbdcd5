import { randomBytes } from "node:crypto";
import { mirror } from "@polyarch/mirror";
import { type ImageStore, openStore, parseWrittenReference, RegistryClient } from "@polyarch/oci";
import {
  blobOf,
  type FaultProxy,
  imageFrom,
  mediaTypes,
  pushImage,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { amd64 } from "./support.ts";

const SIZE = 64 * 1024 * 1024;

let upstream: Registry;
let target: Registry;
let targetProxy: FaultProxy;
let client: RegistryClient;

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  targetProxy = await startFaultProxy(target.url);
  client = new RegistryClient();
});
afterAll(async () => {
  await client?.close();
  await targetProxy?.stop();
  await Promise.all([upstream?.stop(), target?.stop()]);
});

it("streams a 64 MiB blob from source to target without holding it whole", async () => {
  const bytes = randomBytes(SIZE);
  const layer = {
    blob: blobOf(mediaTypes.ociLayer.replace("+gzip", ""), bytes),
    diffId: sha256Digest(bytes),
  };
  const image = imageFrom({ platform: amd64, layers: [layer] });
  await pushImage(upstream, "big/blob", "1", image);

  // When the source stream has been read to its end, look at the target: the upload of that very
  // blob must already be under way (its PUT seen by the proxy, not yet answered). A copy that
  // buffered the blob, in memory or in a temp file, would only start the upload after this point.
  let uploadsInFlightAtEnd: string[] | undefined;
  let bytesRead = 0;
  const observed = (store: ImageStore): ImageStore => ({
    name: store.name,
    headManifest: (reference) => store.headManifest(reference),
    getManifest: (reference) => store.getManifest(reference),
    putManifest: (bytes, mediaType, tag) => store.putManifest(bytes, mediaType, tag),
    hasBlob: (blob) => store.hasBlob(blob),
    putBlob: (blob, content) => store.putBlob(blob, content),
    listTags: () => store.listTags(),
    openBlob: async (blob) => {
      const stream = await store.openBlob(blob);
      if (blob.digest === layer.blob.digest) {
        stream.on("data", (chunk: Buffer) => {
          bytesRead += chunk.length;
        });
        stream.on("end", () => {
          uploadsInFlightAtEnd = targetProxy.counter
            .filter({ method: "PUT", route: "upload" })
            .filter((r) => r.status === 0 && r.path.includes(encodeURIComponent(layer.blob.digest)))
            .map((r) => r.path);
        });
      }
      return stream;
    },
  });

  const source = parseWrittenReference(`${upstream.host}/big/blob:1`);
  const report = await mirror(
    { source, target: parseWrittenReference(`${targetProxy.host}/big/blob`) },
    {
      openStore: (reference) =>
        reference === source ? observed(openStore(reference, client)) : openStore(reference, client),
    },
  );

  expect(bytesRead).toBe(SIZE);
  expect(uploadsInFlightAtEnd).toHaveLength(1);
  expect(report.copied.bytes).toBe(SIZE + image.config.size);
  // The target holds the blob, verified by the registry against its digest, and the image reads back.
  // One finished upload each for the config and the layer, both accepted.
  const put = targetProxy.counter.filter({ method: "PUT", route: "upload" });
  expect(put.map((r) => r.status)).toEqual([201, 201]);
  expect(sha256Digest(await skopeoInspectRaw(`${target.host}/big/blob:1`))).toBe(image.manifest.digest);
});
