import { digestOf, encodeJson, type FetchedManifest, MediaType, parsePlatform } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { filterIndex } from "./filter.ts";

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const entry = (n: number, platform: string, extra: Record<string, unknown> = {}) => {
  const [os, architecture, variant] = platform.split("/");
  return {
    mediaType: MediaType.OciManifest,
    digest: digest(n),
    size: 100 + n,
    platform: { os, architecture, ...(variant && { variant }) },
    ...extra,
  };
};

function indexOf(manifests: unknown[], extra: Record<string, unknown> = {}): FetchedManifest {
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests, ...extra });
  return { bytes, digest: digestOf(bytes), mediaType: MediaType.OciIndex };
}

const attestation = (n: number, of: number) =>
  entry(n, "unknown/unknown", {
    annotations: {
      "vnd.docker.reference.digest": digest(of),
      "vnd.docker.reference.type": "attestation-manifest",
    },
  });

describe("filterIndex", () => {
  const source = indexOf(
    [
      entry(1, "linux/amd64"),
      attestation(2, 1),
      entry(3, "linux/arm64"),
      attestation(4, 3),
      entry(5, "windows/amd64"),
    ],
    { annotations: { "org.opencontainers.image.version": "19.2.0" } },
  );

  it("keeps the requested children and their attestations, and every other field", () => {
    const filtered = filterIndex(source, [parsePlatform("linux/arm64"), parsePlatform("linux/amd64")]);
    expect(filtered.rebuilt).toBe(true);
    expect(filtered.kept).toEqual(["linux/amd64", "linux/arm64"]);
    expect(filtered.dropped).toEqual(["windows/amd64"]);
    const document = JSON.parse(Buffer.from(filtered.manifest.bytes).toString());
    expect(document.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      digest(1),
      digest(2),
      digest(3),
      digest(4),
    ]);
    expect(Object.keys(document)).toEqual(["schemaVersion", "mediaType", "manifests", "annotations"]);
    expect(filtered.manifest.digest).toBe(digestOf(filtered.manifest.bytes));
  });

  it("drops the attestations of dropped images", () => {
    const filtered = filterIndex(source, [parsePlatform("linux/amd64")]);
    expect(filtered.dropped).toEqual(["linux/arm64", "attestation", "windows/amd64"]);
  });

  it("returns the source's own bytes (and digest) when every child is kept", () => {
    const all = filterIndex(indexOf([entry(1, "linux/amd64"), entry(3, "linux/arm64")]), [
      parsePlatform("linux/amd64"),
      parsePlatform("linux/arm64"),
    ]);
    expect(all.rebuilt).toBe(false);
    expect(all.manifest.digest).toBe(digestOf(all.manifest.bytes));
  });

  it("fails naming the missing platforms and what the index holds", () => {
    expect(() => filterIndex(source, [parsePlatform("linux/s390x")], "upstream:v19.2.0")).toThrow(
      "upstream:v19.2.0 has no linux/s390x image; it holds linux/amd64, linux/arm64, windows/amd64",
    );
  });
});

describe("filterIndex's platforms", () => {
  const variants = indexOf([
    entry(1, "linux/amd64/v3"),
    entry(2, "linux/amd64"),
    entry(3, "linux/arm64/v8"),
    entry(4, "linux/arm/v6"),
    entry(5, "linux/arm/v7"),
  ]);
  const kept = (...wanted: string[]) => filterIndex(variants, wanted.map(parsePlatform)).kept;

  it("keeps the child that is the named platform once normalized, not its other variants", () => {
    expect(kept("linux/amd64")).toEqual(["linux/amd64"]);
    expect(kept("linux/amd64/v3")).toEqual(["linux/amd64/v3"]);
    expect(kept("linux/arm64")).toEqual(["linux/arm64"]);
    expect(kept("linux/arm")).toEqual(["linux/arm/v7"]);
    expect(kept("linux/arm/v6", "linux/amd64/v1")).toEqual(["linux/amd64", "linux/arm/v6"]);
  });

  it("refuses a variant the index does not hold rather than taking a lower one", () => {
    expect(() => filterIndex(indexOf([entry(1, "linux/arm/v6")]), [parsePlatform("linux/arm/v7")])).toThrow(
      /has no linux\/arm\/v7 image; it holds linux\/arm\/v6/,
    );
    expect(() => filterIndex(indexOf([entry(1, "linux/amd64/v2")]), [parsePlatform("linux/amd64")])).toThrow(
      /has no linux\/amd64 image; it holds linux\/amd64\/v2/,
    );
  });
});
