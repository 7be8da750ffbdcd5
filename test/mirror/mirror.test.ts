import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isPolyarchError } from "@polyarch/errors";
import { mirror } from "@polyarch/mirror";
import { parsePlatform, parseReference, parseWrittenReference, type RegistryClient } from "@polyarch/oci";
import {
  attestationFor,
  type FaultProxy,
  fetchManifest,
  type Image,
  type ImageIndex,
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { amd64, arm64, json, requestLog, s390x, testClient, through, writes } from "./support.ts";

// Two real registries, "upstream" and "mirror", each behind a proxy that records every request.
let upstream: Registry;
let target: Registry;
let upstreamProxy: FaultProxy;
let targetProxy: FaultProxy;
let work: TempDir;
let client: RegistryClient;
let context: ReturnType<typeof testClient>["context"];
let images: Image[];
let index: ImageIndex;

const ref = (proxy: FaultProxy, path: string) => parseWrittenReference(`${proxy.host}/${path}`);

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  [upstreamProxy, targetProxy] = await Promise.all([
    startFaultProxy(upstream.url),
    startFaultProxy(target.url),
  ]);
  work = await tempDir("polyarch-mirror-");
  images = [
    await syntheticImage({ platform: amd64, layers: 2, seed: "mirror" }),
    await syntheticImage({ platform: arm64, layers: 2, seed: "mirror" }),
    await syntheticImage({ platform: s390x, layers: 1, seed: "mirror" }),
  ];
  const attestation = await attestationFor(images[0]!);
  index = indexOf([images[0]!, attestation, images[1]!, images[2]!]);
  await pushIndex(through(upstream, upstreamProxy), "library/app", "1.0", index);
});
afterAll(async () => {
  await client?.close();
  await work?.remove();
  await Promise.all([upstreamProxy?.stop(), targetProxy?.stop()]);
  await Promise.all([upstream?.stop(), target?.stop()]);
});
beforeEach(async () => {
  await client?.close();
  ({ client, context } = testClient());
  upstreamProxy.reset();
  targetProxy.reset();
});

describe("mirror registry → registry", () => {
  it("copies an index with every child and blob, keeping its digest", async () => {
    const report = await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: ref(targetProxy, "mirror/app") },
      context,
    );
    expect(report).toMatchObject({
      action: "created",
      digest: index.manifest.digest,
      sourceDigest: index.manifest.digest,
      target: `${targetProxy.host}/mirror/app:1.0`,
      platforms: ["linux/amd64", "linux/arm64", "linux/s390x"],
    });
    expect(report.rebuilt).toBeUndefined();
    // An independent client reads the same bytes back from the target.
    const raw = await skopeoInspectRaw(`${target.host}/mirror/app:1.0`);
    expect(sha256Digest(raw)).toBe(index.manifest.digest);
    // 3 images × (config + layers) + the attestation's config and layer, each copied once.
    expect(report.copied.blobs.copied).toBe(3 + 3 + 2 + 2);
    expect(report.copied.manifests).toBe(5);
    for (const image of images) {
      const child = await fetchManifest(target, "mirror/app", image.manifest.digest);
      expect(child.status).toBe(200);
    }
  });

  it("costs one HEAD on each side, and the referrers lookup, when the target already holds the source digest", async () => {
    await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: ref(targetProxy, "noop/app") },
      context,
    );
    upstreamProxy.reset();
    targetProxy.reset();
    const again = await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: ref(targetProxy, "noop/app") },
      context,
    );
    expect(again.action).toBe("unchanged");
    expect(again.digest).toBe(index.manifest.digest);
    // Referrers: a probe of the referrers API (404: distribution 2.8 has none) and the tag list, where
    // fallback and cosign tags would be. It holds none, so the children need not be read.
    expect(requestLog(upstreamProxy)).toEqual(["HEAD manifest", "GET referrers", "GET tags"]);
    expect(requestLog(targetProxy)).toEqual(["HEAD manifest"]);
  });

  it("--platforms keeps only those children and their attestations, rebuilding the index", async () => {
    const report = await mirror(
      {
        source: ref(upstreamProxy, "library/app:1.0"),
        target: ref(targetProxy, "filtered/app"),
        platforms: [parsePlatform("linux/amd64"), parsePlatform("linux/arm64")],
      },
      context,
    );
    expect(report.action).toBe("created");
    expect(report.rebuilt).toEqual({ kept: ["linux/amd64", "linux/arm64"], dropped: ["linux/s390x"] });
    expect(report.digest).not.toBe(index.manifest.digest);
    const stored = await fetchManifest(target, "filtered/app", "1.0");
    expect(sha256Digest(stored.bytes)).toBe(report.digest);
    const rebuilt = json(stored.bytes);
    expect(rebuilt.manifests.map((m) => m.digest)).toEqual([
      images[0]!.manifest.digest,
      index.images[1]!.manifest.digest,
      images[1]!.manifest.digest,
    ]);
    // Everything but the manifests list is the source's own.
    expect(rebuilt.mediaType).toBe(json(index.manifest.bytes).mediaType);
    // The dropped image's manifest and layer never reached the target.
    const s390 = await fetchManifest(target, "filtered/app", images[2]!.manifest.digest);
    expect(s390.status).toBe(404);
    expect(targetProxy.counter.count({ method: "PUT", path: images[2]!.layers[0]!.digest })).toBe(0);
  });

  it("refuses platforms the index does not hold, naming what it holds", async () => {
    const error = await mirror(
      {
        source: ref(upstreamProxy, "library/app:1.0"),
        target: ref(targetProxy, "filtered/missing"),
        platforms: [parsePlatform("linux/riscv64")],
      },
      context,
    ).catch((e: unknown) => e);
    expect(isPolyarchError(error, "POLYARCH_E_PLATFORM_NOT_FOUND")).toBe(true);
    expect((error as Error).message).toContain("linux/amd64, linux/arm64, linux/s390x");
    expect(writes(targetProxy)).toEqual([]);
  });

  it("skips blobs the target already has", async () => {
    const first = await syntheticImage({ platform: amd64, layers: [4096, 2048], seed: "shared" });
    // The same layers under a different config: only the config is new.
    const second = await syntheticImage({
      platform: amd64,
      layers: [4096, 2048],
      seed: "shared",
      labels: { variant: "2" },
    });
    await pushImage(through(upstream, upstreamProxy), "shared/app", "a", first);
    await pushImage(through(upstream, upstreamProxy), "shared/app", "b", second);
    await mirror(
      { source: ref(upstreamProxy, "shared/app:a"), target: ref(targetProxy, "shared/app") },
      context,
    );
    upstreamProxy.reset();
    const report = await mirror(
      { source: ref(upstreamProxy, "shared/app:b"), target: ref(targetProxy, "shared/app") },
      context,
    );
    expect(report.copied.blobs).toEqual({ exists: 2, mounted: 0, copied: 1 });
    expect(upstreamProxy.counter.count({ method: "GET", route: "blob" })).toBe(1);
  });

  it("mounts blobs across repositories of the same registry instead of streaming them", async () => {
    const report = await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: ref(upstreamProxy, "team/app-copy") },
      context,
    );
    expect(report.copied.blobs.mounted).toBe(10);
    expect(report.copied.blobs.copied).toBe(0);
    expect(upstreamProxy.counter.count({ method: "GET", route: "blob" })).toBe(0);
    expect(upstreamProxy.counter.count({ method: "POST", path: "mount=" })).toBe(10);
  });

  it("restarts a blob whose download breaks off, and stores it whole", async () => {
    const image = await syntheticImage({ platform: arm64, layers: [256 * 1024], seed: "reset" });
    await pushImage(through(upstream, upstreamProxy), "faults/app", "1", image);
    const fault = upstreamProxy.inject({
      type: "reset",
      method: "GET",
      path: new RegExp(image.layers[0]!.digest),
    });
    const report = await mirror(
      { source: ref(upstreamProxy, "faults/app:1"), target: ref(targetProxy, "faults/app") },
      context,
    );
    expect(fault.hits).toBe(1);
    expect(report.action).toBe("created");
    const stored = await skopeoInspectRaw(`${target.host}/faults/app:1`);
    expect(sha256Digest(stored)).toBe(image.manifest.digest);
  });

  it("dry run reports what would happen and writes nothing", async () => {
    const report = await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: ref(targetProxy, "dry/app"), dryRun: true },
      context,
    );
    expect(report).toMatchObject({ action: "created", dryRun: true, digest: index.manifest.digest });
    expect(writes(targetProxy)).toEqual([]);
    expect((await fetchManifest(target, "dry/app", "1.0")).status).toBe(404);
  });
});

describe("mirror with oci: layouts", () => {
  it("registry → layout → registry keeps the digest, and skopeo reads the layout", async () => {
    const dir = join(work.path, "airgap");
    const out = await mirror(
      { source: ref(upstreamProxy, "library/app:1.0"), target: parseReference(`oci:${dir}:app-1.0`) },
      context,
    );
    expect(out).toMatchObject({ action: "created", digest: index.manifest.digest });
    const layoutIndex = json(await readFile(join(dir, "index.json"), "utf8"));
    expect(layoutIndex.manifests).toEqual([
      expect.objectContaining({
        digest: index.manifest.digest,
        annotations: { "org.opencontainers.image.ref.name": "app-1.0" },
      }),
    ]);
    expect(sha256Digest(await skopeoInspectRaw(`oci:${dir}:app-1.0`))).toBe(index.manifest.digest);

    const back = await mirror(
      { source: parseReference(`oci:${dir}:app-1.0`), target: ref(targetProxy, "from-layout/app:restored") },
      context,
    );
    expect(back).toMatchObject({ action: "created", digest: index.manifest.digest });
    expect(sha256Digest(await skopeoInspectRaw(`${target.host}/from-layout/app:restored`))).toBe(
      index.manifest.digest,
    );
    // Running it again is a HEAD on the layout and one on the registry (the layout has no referrer tags).
    targetProxy.reset();
    const again = await mirror(
      { source: parseReference(`oci:${dir}:app-1.0`), target: ref(targetProxy, "from-layout/app:restored") },
      context,
    );
    expect(again.action).toBe("unchanged");
    expect(requestLog(targetProxy)).toEqual(["HEAD manifest"]);
  });

  it("filters platforms into a layout", async () => {
    const dir = join(work.path, "arm-only");
    const report = await mirror(
      {
        source: ref(upstreamProxy, "library/app:1.0"),
        target: parseReference(`oci:${dir}:arm`),
        platforms: [parsePlatform("linux/arm64")],
      },
      context,
    );
    expect(report.rebuilt?.kept).toEqual(["linux/arm64"]);
    const stored = json(await skopeoInspectRaw(`oci:${dir}:arm`));
    expect(stored.manifests.map((m) => m.platform?.architecture)).toEqual(["arm64"]);
  });

  it("a digest-only source needs a tag for a layout target", async () => {
    const error = await mirror(
      {
        source: ref(upstreamProxy, `library/app@${index.manifest.digest}`),
        target: parseReference(`oci:${join(work.path, "untagged")}`),
      },
      context,
    ).catch((e: unknown) => e);
    expect(isPolyarchError(error, "POLYARCH_E_BAD_TARGET")).toBe(true);
    expect((error as { kind?: string }).kind).toBe("input");
  });
});
