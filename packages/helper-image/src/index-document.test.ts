import { digestOf, type FetchedManifest, MediaType, parseFetchedManifest } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { buildIndex, upstreamImages } from "./index-document.ts";
import type { RefreshItem } from "./plan.ts";

const image = (seed: string): FetchedManifest => {
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, seed }));
  return { bytes, digest: digestOf(bytes), mediaType: MediaType.OciManifest };
};

const item: RefreshItem = {
  version: "18.9.0",
  flavor: "alpine",
  mode: "stitch",
  upstreamTags: ["x86_64-v18.9.0", "arm64-v18.9.0"],
  architectures: ["x86_64", "arm64"],
  platforms: [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64" },
  ],
  targetTag: "v18.9.0",
};

describe("upstreamImages", () => {
  it("names each image upstream published: a copied one by its digest, a relabelled one by the digest it was made from", () => {
    const [amd64, published, relabelled] = [image("amd64"), image("arm64"), image("arm64 relabelled")];
    const built = buildIndex(
      item,
      [
        { manifest: amd64, platform: item.platforms[0]! },
        { manifest: relabelled, platform: item.platforms[1]!, relabelledFrom: published.digest },
      ],
      "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper",
    );
    const parsed = parseFetchedManifest(built);
    if (parsed.kind !== "index") throw new Error("buildIndex wrote an index");
    expect(upstreamImages(parsed.index)).toEqual([amd64.digest, published.digest]);
  });
});
