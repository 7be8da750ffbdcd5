import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Buildah,
  buildkitIndex,
  busyboxImage,
  cosignSignature,
  type FaultProxy,
  fallbackTag,
  fetchManifest,
  type Image,
  type ImageIndex,
  mediaTypes,
  ociArtifact,
  pushCosignTag,
  pushIndex,
  pushReferrer,
  type Registry,
  referrerDescriptor,
  skopeo,
  skopeoInspectRaw,
  startBuildah,
  startFaultProxy,
  startRegistry,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, polyarch, through, writes } from "./support.ts";

// Docker Engine 29 and BuildKit push every per-architecture image as an index holding the image and its
// attestation manifest. merge keeps the attestations by default, each after its image, as buildx
// imagetools create and manifest-tool 2.1+ do.
let registry: Registry;
let proxy: FaultProxy;
let host: string;
let images: Record<"amd64" | "arm64", Image>;
let sources: Record<"amd64" | "arm64", ImageIndex & { attestation: Image }>;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  host = proxy.host;
  images = { amd64: await busyboxImage({ arch: "amd64" }), arm64: await busyboxImage({ arch: "arm64" }) };
  sources = { amd64: await buildkitIndex(images.amd64), arm64: await buildkitIndex(images.arm64) };
  const via = through(registry, proxy);
  await pushIndex(via, "ci/app", "amd64-abc", sources.amd64);
  await pushIndex(via, "ci/app", "arm64-abc", sources.arm64);
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

const merge = (target: string, flags: string[] = []) =>
  polyarch([
    "merge",
    ...flags,
    "--platforms",
    "linux/amd64,linux/arm64",
    "--template",
    `${host}/ci/app:{arch}-abc`,
    "--target",
    `${host}/${target}`,
  ]);

describe("attestations of BuildKit-style per-architecture indexes", () => {
  it("are kept by default, each after its image and naming it, copied to the target; --json and the dotenv list every image", async () => {
    const dir = await tempDir("polyarch-provenance-");
    const dotenv = join(dir.path, "merge.env");
    const run = await merge("release/app:1", ["--json", "--dotenv", dotenv]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/release/app:1`));
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.manifests.map((m) => m.digest)).toEqual([
      images.amd64.manifest.digest,
      sources.amd64.attestation.manifest.digest,
      images.arm64.manifest.digest,
      sources.arm64.attestation.manifest.digest,
    ]);
    expect(index.manifests[1]?.platform).toEqual({ os: "unknown", architecture: "unknown" });
    expect(index.manifests[1]?.annotations?.["vnd.docker.reference.digest"]).toBe(
      images.amd64.manifest.digest,
    );
    expect(index.manifests[3]?.annotations?.["vnd.docker.reference.digest"]).toBe(
      images.arm64.manifest.digest,
    );
    for (const image of [sources.amd64.attestation, sources.arm64.attestation]) {
      expect((await fetchManifest(registry, "release/app", image.manifest.digest)).status).toBe(200);
    }
    const report = JSON.parse(run.stdout);
    expect(report.manifests.filter((m: { attestation?: boolean }) => m.attestation)).toHaveLength(2);
    expect(report.droppedAttestations).toEqual([]);
    const pinned = [images.amd64, images.arm64].map((i) => `${host}/release/app@${i.manifest.digest}`);
    expect(report.images).toEqual(pinned);
    expect(await readFile(dotenv, "utf8")).toBe(
      `POLYARCH_INDEX=${host}/release/app@${report.digest}\nPOLYARCH_DIGESTS=${pinned.join(",")}\n`,
    );
    // skopeo reads the index and every manifest and blob under it.
    await skopeo([
      "copy",
      "--all",
      "--src-tls-verify=false",
      `docker://${registry.host}/release/app:1`,
      `oci:${dir.path}/copy:1`,
    ]);
    await dir.remove();
  });

  it("are dropped with --no-attestations, and the report names what was dropped", async () => {
    const run = await merge("release/app:plain", ["--no-attestations", "--json"]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/release/app:plain`));
    expect(index.manifests.map((m) => m.digest)).toEqual([
      images.amd64.manifest.digest,
      images.arm64.manifest.digest,
    ]);
    expect(JSON.parse(run.stdout).droppedAttestations).toEqual([
      expect.objectContaining({
        digest: sources.amd64.attestation.manifest.digest,
        attests: images.amd64.manifest.digest,
      }),
      expect.objectContaining({
        digest: sources.arm64.attestation.manifest.digest,
        attests: images.arm64.manifest.digest,
      }),
    ]);
  });

  it("--keep-attestations is still accepted; with --no-attestations it is refused (exit 2) and nothing is written", async () => {
    const kept = await merge("release/app:kept", ["--keep-attestations"]);
    expect(kept.code).toBe(0);
    expect(json(await skopeoInspectRaw(`${registry.host}/release/app:kept`)).manifests).toHaveLength(4);
    proxy.reset();
    const both = await merge("release/app:both", ["--keep-attestations", "--no-attestations"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--no-attestations");
    expect(writes(proxy)).toEqual([]);
  });

  it("buildah pulls the right child from the merged index that carries attestations", async () => {
    // Its own merge, so the test stands alone in any order.
    expect((await merge("release/app:pulled", [])).code).toBe(0);
    const buildah: Buildah = await startBuildah([registry.host]);
    try {
      for (const arch of ["amd64", "arm64"] as const) {
        const id = await buildah.run([
          "pull",
          "--quiet",
          "--tls-verify=false",
          "--arch",
          arch,
          `docker://${registry.host}/release/app:pulled`,
        ]);
        expect(`sha256:${id.trim()}`).toBe(images[arch].config.digest);
      }
    } finally {
      await buildah.remove();
    }
  });
});

describe("--annotation with buildx's type prefixes", () => {
  it("index:KEY=VALUE annotates the index under KEY; manifest-descriptor: every image entry, [os/arch] one", async () => {
    const run = await merge("release/app:annotated", [
      "--annotation",
      "index:org.opencontainers.image.description=a busybox",
      "--annotation",
      "manifest-descriptor:org.opencontainers.image.vendor=polyarch",
      "--annotation",
      "manifest-descriptor[linux/arm64]:org.example.arch=arm",
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/release/app:annotated`));
    expect(index.annotations).toEqual({ "org.opencontainers.image.description": "a busybox" });
    expect(index.manifests.map((m) => m.annotations)).toEqual([
      { "org.opencontainers.image.vendor": "polyarch" },
      sources.amd64.attestation.descriptor.annotations,
      { "org.opencontainers.image.vendor": "polyarch", "org.example.arch": "arm" },
      sources.arm64.attestation.descriptor.annotations,
    ]);
  });

  it.each([
    ["manifest:org.example.k=v", "the images themselves"],
    ["index[linux/amd64]:org.example.k=v", "one platform of the index"],
    ["index-descriptor:org.example.k=v", "a parent index"],
    ["index:=v", "not KEY=VALUE"],
  ])("refuses %s with exit 2, writing nothing", async (annotation, why) => {
    proxy.reset();
    const run = await merge("release/app:refused", ["--annotation", annotation]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(why);
    expect(writes(proxy)).toEqual([]);
  });
});

describe("referrers of the images merge copies from another repository", () => {
  it("come along before the index tag: the build job's signature and SBOM of each image; --no-referrers leaves them", async () => {
    const via = through(registry, proxy);
    await pushIndex(via, "ci/signed", "amd64-abc", sources.amd64);
    await pushIndex(via, "ci/signed", "arm64-abc", sources.arm64);
    const signature = cosignSignature(images.amd64.manifest.digest, `${host}/ci/signed`);
    const sbom = ociArtifact(images.arm64.descriptor);
    await pushCosignTag(via, "ci/signed", signature);
    await pushReferrer(via, "ci/signed", sbom);
    const sourcesOf = ["amd64", "arm64"].map((arch) => `${host}/ci/signed:${arch}-abc`);

    proxy.reset();
    const run = await polyarch(["merge", "--target", `${host}/release/signed:1`, ...sourcesOf]);
    expect(run.code).toBe(0);
    expect((await fetchManifest(registry, "release/signed", signature.tag)).digest).toBe(
      signature.manifest.digest,
    );
    const fallback = await fetchManifest(
      registry,
      "release/signed",
      fallbackTag(images.arm64.manifest.digest),
    );
    expect(json(fallback.bytes).manifests).toEqual([referrerDescriptor(sbom)]);
    const puts = proxy.counter
      .filter({ method: "PUT", route: "manifest" })
      .map((r) => r.path.split("/manifests/")[1]);
    expect(puts.at(-1)).toBe("1");
    expect(puts.filter((reference) => reference === "1")).toHaveLength(1);
    expect(puts.indexOf(sbom.manifest.digest)).toBeGreaterThan(puts.indexOf(images.arm64.manifest.digest));

    const bare = await polyarch([
      "merge",
      "--no-referrers",
      "--target",
      `${host}/release/bare:1`,
      ...sourcesOf,
    ]);
    expect(bare.code).toBe(0);
    expect((await fetchManifest(registry, "release/bare", signature.tag)).status).toBe(404);
    expect(
      (await fetchManifest(registry, "release/bare", fallbackTag(images.arm64.manifest.digest))).status,
    ).toBe(404);
  });
});
