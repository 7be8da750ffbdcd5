import {
  digestOf,
  encodeJson,
  entryMatches,
  type FetchedManifest,
  MediaType,
  parsePlatform,
} from "@polyarch/oci";
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

describe("entryMatches", () => {
  it("matches normalized platforms, any variant when none is asked, but arm exactly", () => {
    expect(entryMatches(parsePlatform("linux/arm64"), parsePlatform("linux/arm64/v8"))).toBe(true);
    expect(
      entryMatches(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64", variant: "v3" }),
    ).toBe(true);
    expect(entryMatches(parsePlatform("linux/arm"), parsePlatform("linux/arm/v7"))).toBe(true);
    expect(entryMatches(parsePlatform("linux/arm/v7"), parsePlatform("linux/arm/v6"))).toBe(false);
    expect(entryMatches(parsePlatform("linux/amd64"), parsePlatform("windows/amd64"))).toBe(false);
  });
});
