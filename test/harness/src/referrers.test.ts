import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildkitIndex,
  cosignSignature,
  type FaultProxy,
  fallbackTag,
  fetchManifest,
  ociArtifact,
  pushCosignTag,
  pushIndex,
  pushReferrer,
  type Registry,
  referrerDescriptor,
  startFaultProxy,
  startRegistry,
  syntheticImage,
} from "./index.ts";

describe("referrer fixtures on distribution 2.8", () => {
  let registry: Registry;
  let api: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    api = await startFaultProxy(registry.url, { referrersApi: true });
  });
  afterAll(async () => {
    await api.stop();
    await registry.stop();
  });

  it("a BuildKit-style index lists the image, then its unknown/unknown attestation naming the image", async () => {
    const image = await syntheticImage({ seed: "bk" });
    const index = await buildkitIndex(image);
    await pushIndex(registry, "fixtures/bk", "v1", index);
    const stored = JSON.parse((await fetchManifest(registry, "fixtures/bk", "v1")).bytes.toString());
    expect(stored.manifests).toHaveLength(2);
    expect(stored.manifests[1].platform).toEqual({ os: "unknown", architecture: "unknown" });
    expect(stored.manifests[1].annotations).toEqual({
      "vnd.docker.reference.digest": image.manifest.digest,
      "vnd.docker.reference.type": "attestation-manifest",
    });
  });

  it("the registry has no referrers API: it answers 404, so an artifact goes in the sha256-<hex> fallback index", async () => {
    const image = await syntheticImage({ seed: "fallback" });
    const index = await buildkitIndex(image);
    await pushIndex(registry, "fixtures/fb", "v1", index);
    const subject = {
      mediaType: index.manifest.mediaType,
      digest: index.manifest.digest,
      size: index.manifest.size,
    };
    const sbom = ociArtifact(subject);
    const other = ociArtifact(subject, { artifactType: "application/vnd.example+json", content: "{}" });
    expect((await pushReferrer(registry, "fixtures/fb", sbom)).viaApi).toBe(false);
    await pushReferrer(registry, "fixtures/fb", other);

    const direct = await request(`${registry.url}/v2/fixtures/fb/referrers/${subject.digest}`);
    await direct.body.dump();
    expect(direct.statusCode).toBe(404);
    const fallback = await fetchManifest(registry, "fixtures/fb", fallbackTag(subject.digest));
    expect(fallback.status).toBe(200);
    expect(JSON.parse(fallback.bytes.toString()).manifests).toEqual([
      referrerDescriptor(sbom),
      referrerDescriptor(other),
    ]);
    const stored = JSON.parse(
      (await fetchManifest(registry, "fixtures/fb", sbom.manifest.digest)).bytes.toString(),
    );
    expect(stored.subject.digest).toBe(subject.digest);
    expect(stored.artifactType).toBe("application/spdx+json");
  });

  it("a cosign signature is a manifest under sha256-<hex>.sig whose payload names the image", async () => {
    const image = await syntheticImage({ seed: "cosign" });
    await pushIndex(registry, "fixtures/sig", "v1", await buildkitIndex(image));
    const signature = cosignSignature(image.manifest.digest, `${registry.host}/fixtures/sig`);
    await pushCosignTag(registry, "fixtures/sig", signature);
    expect(signature.tag).toBe(`sha256-${image.manifest.digest.slice(7)}.sig`);
    const stored = await fetchManifest(registry, "fixtures/sig", signature.tag);
    expect(stored.digest).toBe(signature.manifest.digest);
    const layer = JSON.parse(stored.bytes.toString()).layers[0];
    expect(layer.mediaType).toBe("application/vnd.dev.cosign.simplesigning.v1+json");
    expect(layer.annotations["dev.cosignproject.cosign/signature"]).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it("the proxy's referrers endpoint lists what was pushed with a subject, filters by artifactType, and says OCI-Subject", async () => {
    const image = await syntheticImage({ seed: "api" });
    const target = { ...registry, url: api.url };
    await pushIndex(target, "fixtures/api", "v1", await buildkitIndex(image));
    const subject = {
      mediaType: image.manifest.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.size,
    };
    const sbom = ociArtifact(subject);
    const other = ociArtifact(subject, { artifactType: "application/vnd.example+json", content: "{}" });
    expect(await pushReferrer(target, "fixtures/api", sbom)).toEqual({
      digest: sbom.manifest.digest,
      viaApi: true,
    });
    expect(await pushReferrer(target, "fixtures/api", other)).toEqual({
      digest: other.manifest.digest,
      viaApi: true,
    });
    expect((await fetchManifest(registry, "fixtures/api", fallbackTag(subject.digest))).status).toBe(404);
    const all = await request(`${api.url}/v2/fixtures/api/referrers/${subject.digest}`);
    expect(all.statusCode).toBe(200);
    expect(all.headers["content-type"]).toBe("application/vnd.oci.image.index.v1+json");
    expect(((await all.body.json()) as { manifests: unknown[] }).manifests).toEqual([
      referrerDescriptor(sbom),
      referrerDescriptor(other),
    ]);
    const filtered = await request(
      `${api.url}/v2/fixtures/api/referrers/${subject.digest}?artifactType=application/vnd.example%2Bjson`,
    );
    expect(filtered.headers["oci-filters-applied"]).toBe("artifactType");
    expect(((await filtered.body.json()) as { manifests: unknown[] }).manifests).toEqual([
      referrerDescriptor(other),
    ]);
  });
});
