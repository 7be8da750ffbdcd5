import { describe, expect, it } from "vitest";
import {
  extendFallbackIndex,
  fallbackTag,
  isReferrerTag,
  referrerDescriptor,
  wantedReferrer,
} from "./referrers.ts";
import { encodeJson, parseManifest } from "./schemas.ts";

const hex = "a".repeat(64);
const digest = `sha256:${hex}`;
const entry = (n: number, artifactType?: string) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${String(n).repeat(64)}`,
  size: n,
  ...(artifactType && { artifactType }),
});

describe("referrer tags", () => {
  it("names the fallback tag <alg>-<hex> and recognizes it and cosign's .sig/.att/.sbom, nothing else", () => {
    expect(fallbackTag(digest)).toBe(`sha256-${hex}`);
    for (const tag of [`sha256-${hex}`, `sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`]) {
      expect(isReferrerTag(tag)).toBe(true);
    }
    for (const tag of ["latest", `sha256-${hex}.bak`, `sha256-${hex.slice(1)}`, `v1-sha256-${hex}`]) {
      expect(isReferrerTag(tag)).toBe(false);
    }
  });
});

describe("referrerDescriptor", () => {
  it("takes artifactType from the manifest, else the config's media type, and keeps annotations", () => {
    const config = { mediaType: "application/vnd.example.config+json", digest, size: 2 };
    const withType = encodeJson({
      schemaVersion: 2,
      artifactType: "application/spdx+json",
      config,
      layers: [],
    });
    const without = encodeJson({ schemaVersion: 2, config, layers: [], annotations: { a: "b" } });
    const parse = (bytes: Uint8Array) =>
      parseManifest(bytes, entry(1).digest, "application/vnd.oci.image.manifest.v1+json");
    expect(referrerDescriptor(parse(withType)).artifactType).toBe("application/spdx+json");
    expect(referrerDescriptor(parse(without))).toMatchObject({
      artifactType: "application/vnd.example.config+json",
      annotations: { a: "b" },
      size: without.length,
    });
  });
});

describe("extendFallbackIndex", () => {
  it("appends only what is new, keeping existing entries and their order; nothing new is nothing to write", () => {
    const current = { schemaVersion: 2 as const, manifests: [entry(1), entry(2)] };
    const extended = extendFallbackIndex(current, [entry(2), entry(3)]);
    expect(JSON.parse(new TextDecoder().decode(extended?.bytes)).manifests).toEqual([
      entry(1),
      entry(2),
      entry(3),
    ]);
    expect(extendFallbackIndex(current, [entry(1)])).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(extendFallbackIndex(undefined, [entry(4)])?.bytes))).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [entry(4)],
    });
  });
});

describe("wantedReferrer", () => {
  it("passes everything without a filter, else only the listed artifact types", () => {
    expect(wantedReferrer(entry(1), undefined)).toBe(true);
    expect(wantedReferrer(entry(1, "application/spdx+json"), ["application/spdx+json"])).toBe(true);
    expect(wantedReferrer(entry(1, "application/vnd.example+json"), ["application/spdx+json"])).toBe(false);
    expect(wantedReferrer(entry(1), ["application/spdx+json"])).toBe(false);
  });
});
