import { digestOf, encodeJson, MediaType, parsePlatform, relabel } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { buildIndex } from "./index-document.ts";
import { planRefresh } from "./plan.ts";

const configBytes = encodeJson({
  created: "1970-01-01T00:00:00Z",
  architecture: "amd64",
  os: "linux",
  config: { Cmd: ["x"] },
});
const manifestBytes = encodeJson({
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, digest: digestOf(configBytes), size: configBytes.length },
  layers: [{ mediaType: MediaType.OciLayerGzip, digest: `sha256:${"ab".repeat(32)}`, size: 10 }],
});
const manifest = { bytes: manifestBytes, digest: digestOf(manifestBytes), mediaType: MediaType.OciManifest };

describe("relabel", () => {
  it("writes a config that states the platform and a manifest that points at it, nothing else changed", () => {
    const fixed = relabel(manifest, configBytes, parsePlatform("linux/arm/v7"));
    const config = JSON.parse(Buffer.from(fixed.config.bytes).toString());
    expect(config).toEqual({
      created: "1970-01-01T00:00:00Z",
      architecture: "arm",
      os: "linux",
      config: { Cmd: ["x"] },
      variant: "v7",
    });
    expect(fixed.config.digest).toBe(digestOf(fixed.config.bytes));
    const document = JSON.parse(Buffer.from(fixed.manifest.bytes).toString());
    const original = JSON.parse(Buffer.from(manifestBytes).toString());
    expect(document).toEqual({
      ...original,
      config: { ...original.config, digest: fixed.config.digest, size: fixed.config.size },
    });
    expect(fixed.manifest.digest).not.toBe(manifest.digest);
    expect(fixed.manifest.mediaType).toBe(MediaType.OciManifest);
  });
});

describe("buildIndex", () => {
  const [item] = planRefresh({
    upstream: { registry: "r.example", repository: "helper", multiArchSince: "19.2.0" },
    versions: { list: ["18.9.0"] },
    flavors: [{ name: "ubuntu", architectures: ["arm64"] }],
    target: { repository: "t.example/helper", tag: "{prefix}v{version}" },
    fixPlatform: true,
    referrers: false,
    binaries: [],
    concurrency: 1,
  });

  it("is the same bytes for the same images, annotated with version, flavor and upstream", () => {
    const entries = [
      { manifest, platform: parsePlatform("linux/arm64"), relabelledFrom: `sha256:${"cd".repeat(32)}` },
    ];
    const index = buildIndex(item!, entries, "r.example/helper");
    expect(buildIndex(item!, entries, "r.example/helper").digest).toBe(index.digest);
    expect(JSON.parse(Buffer.from(index.bytes).toString())).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest: manifest.digest,
          size: manifestBytes.length,
          platform: { os: "linux", architecture: "arm64" },
          annotations: { "dev.polyarch.helper.relabelled-from": `sha256:${"cd".repeat(32)}` },
        },
      ],
      annotations: {
        "org.opencontainers.image.version": "18.9.0",
        "dev.polyarch.helper.flavor": "ubuntu",
        "dev.polyarch.helper.upstream": "r.example/helper",
      },
    });
  });
});
