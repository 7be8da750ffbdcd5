import { Readable } from "node:stream";
import { fakeStore } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { BlobTransfers, copyImage } from "./copy.ts";
import { digestOf } from "./core/digest.ts";
import { MediaType } from "./core/media-types.ts";
import { encodeJson } from "./core/schemas.ts";
import type { BlobRef } from "./store.ts";

const layer = Buffer.from("layer bytes");
const config = Buffer.from("{}");
const blob = (bytes: Buffer, mediaType: string): BlobRef => ({
  digest: digestOf(bytes),
  size: bytes.length,
  mediaType,
});
const manifestBytes = encodeJson({
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: blob(config, MediaType.OciConfig),
  layers: [blob(layer, MediaType.OciLayer)],
});
const manifest = { bytes: manifestBytes, digest: digestOf(manifestBytes), mediaType: MediaType.OciManifest };

describe("BlobTransfers", () => {
  it("uploads a blob once when two copies into the same store want it at the same time", async () => {
    const stored = new Set<string>();
    const uploads: string[] = [];
    const source = fakeStore("source", {
      openBlob: async (ref) => Readable.from([ref.digest === digestOf(layer) ? layer : config]),
    });
    const target = fakeStore("target", {
      headManifest: async () => undefined,
      hasBlob: async (ref) => stored.has(ref.digest),
      putBlob: async (ref, content) => {
        uploads.push(ref.digest);
        for await (const _ of await content()) {
          // drain
        }
        await new Promise((resolve) => setImmediate(resolve));
        stored.add(ref.digest);
      },
      putManifest: async (bytes) => digestOf(bytes),
    });
    const transfers = new BlobTransfers();
    const [a, b] = await Promise.all([
      copyImage(source, target, manifest, { tag: "a", transfers }),
      copyImage(source, target, manifest, { tag: "b", transfers }),
    ]);
    expect(uploads.sort()).toEqual([digestOf(config), digestOf(layer)].sort());
    expect(a.blobs.copied + b.blobs.copied).toBe(2);
    expect(a.blobs.exists + b.blobs.exists).toBe(2);
  });

  it("lets a waiting copy try for itself when the first transfer fails", async () => {
    const transfers = new BlobTransfers();
    const store = fakeStore("target", {});
    const ref = blob(layer, MediaType.OciLayer);
    let attempts = 0;
    const first = transfers.once(store, ref, async () => {
      attempts += 1;
      throw new Error("upload failed");
    });
    const second = transfers.once(store, ref, async () => {
      attempts += 1;
      return "copied";
    });
    await expect(first).rejects.toThrow("upload failed");
    await expect(second).resolves.toBe("copied");
    expect(attempts).toBe(2);
  });
});
