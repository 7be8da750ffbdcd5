import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  attestationFor,
  type FaultProxy,
  fetchManifest,
  type Image,
  indexOf,
  mediaTypes,
  pushIndex,
  type Registry,
  sha256Digest,
  skopeo,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, armv7, json, polyarch, pushSynthetic, through, writes } from "./support.ts";

let registry: Registry;
let proxy: FaultProxy;
/** The registry as seen through the proxy: every request polyarch makes is counted. */
let via: Registry;
let host: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  via = through(registry, proxy);
  host = proxy.host;
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

async function tagsOf(repo: string): Promise<string[]> {
  const response = await fetch(`${registry.url}/v2/${repo}/tags/list`);
  const body = (await response.json()) as { tags: string[] | null };
  return [...(body.tags ?? [])].sort();
}

async function digestAt(repo: string, tag: string): Promise<string | undefined> {
  const fetched = await fetchManifest(registry, repo, tag);
  return fetched.status === 200 ? sha256Digest(fetched.bytes) : undefined;
}

function manifestPuts(): string[] {
  return proxy.counter
    .filter({ method: "PUT", route: "manifest" })
    .map((r) => r.path.split("/manifests/")[1] ?? "");
}

describe("sources in the target repository", () => {
  let images: Image[];
  beforeAll(async () => {
    images = [
      await pushSynthetic(via, "same/app", "c1-arm64", { platform: arm64, seed: "same", layers: 2 }),
      await pushSynthetic(via, "same/app", "c1-amd64", { platform: amd64, seed: "same", layers: 2 }),
      await pushSynthetic(via, "same/app", "c1-arm", { platform: armv7, seed: "same", layers: 2 }),
    ];
  });

  /** Merges the three c1 images into `same/app:<target>`. */
  const mergeC1 = (target: string, ...flags: string[]) =>
    polyarch([
      "merge",
      ...flags,
      "--platforms",
      "linux/arm64,linux/amd64,linux/arm/v7",
      "--template",
      `${host}/same/app:c1-{arch}`,
      "--target",
      `${host}/same/app:${target}`,
    ]);

  it("pushes one index listing the children in the given order, as skopeo reads it, moving no blobs", async () => {
    const tagsBefore = await tagsOf("same/app");
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--platforms",
      "linux/arm64,linux/amd64,linux/arm/v7",
      "--template",
      `${host}/same/app:c1-ARCH`,
      "--target",
      `${host}/same/app:c1`,
    ]);
    expect(run.stderr).toContain("created");
    expect(run.code).toBe(0);

    const raw = await skopeoInspectRaw(`${registry.host}/same/app:c1`);
    const digest = sha256Digest(raw);
    expect(run.stdout).toBe(`${host}/same/app@${digest}\n`);
    const index = json(raw);
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.manifests).toEqual(
      images.map((image) => ({ ...image.descriptor, platform: image.platform })),
    );

    // Per source a manifest GET and a config GET; then HEAD and PUT of the target tag: 2N+2.
    const requests = proxy.counter.requests.filter((r) => r.status !== 401);
    expect(requests.length).toBeLessThanOrEqual(2 * images.length + 2);
    expect(proxy.counter.count({ route: "upload" })).toBe(0);
    // The only blobs read are the configs, each of them.
    const configs = images.map((image) => `GET /v2/same/app/blobs/${image.config.digest}`).sort();
    const blobReads = proxy.counter.filter({ route: "blob" }).map((r) => `${r.method} ${r.path}`);
    expect([...new Set(blobReads)].sort()).toEqual(configs);
    expect(manifestPuts()).toEqual(["c1"]);
    // The children keep only the tags they had: merging never tags them.
    expect(await tagsOf("same/app")).toEqual([...tagsBefore, "c1"].sort());
  });

  it("serves each platform its own child to an independent client", async () => {
    expect((await mergeC1("served")).code).toBe(0);
    const dir = await tempDir("polyarch-merge-dir-");
    try {
      await skopeo([
        "copy",
        "--override-os",
        "linux",
        "--override-arch",
        "arm64",
        `docker://${registry.host}/same/app:served`,
        `dir:${dir.path}`,
      ]);
      const pulled = await readFile(join(dir.path, "manifest.json"));
      expect(sha256Digest(pulled)).toBe(images[0]?.manifest.digest);
    } finally {
      await dir.remove();
    }
    const layout = await tempDir("polyarch-merge-oci-");
    try {
      await skopeo([
        "copy",
        "--override-os",
        "linux",
        "--override-arch",
        "arm",
        "--override-variant",
        "v7",
        `docker://${registry.host}/same/app:served`,
        `oci:${layout.path}:pulled`,
      ]);
      const ociIndex = json(await readFile(join(layout.path, "index.json")));
      expect(ociIndex.manifests.map((m) => m.digest)).toEqual([images[2]?.manifest.digest]);
    } finally {
      await layout.remove();
    }
  });

  it("re-run with identical inputs writes nothing and reports the target unchanged", async () => {
    expect(JSON.parse((await mergeC1("again", "--json")).stdout).action).toBe("created");
    const before = await digestAt("same/app", "again");
    expect(before).toBeDefined();
    proxy.reset();
    const run = await mergeC1("again", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      action: "unchanged",
      digest: before,
      reference: `${host}/same/app@${before}`,
    });
    expect(writes(proxy)).toEqual([]);
    expect(await digestAt("same/app", "again")).toBe(before);
  });

  it("takes sources named as arguments, by tag or digest, with the platform read from the config", async () => {
    const [a, b] = images as [Image, Image];
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/same/app:args`,
      `${host}/same/app@${b.manifest.digest}`,
      `${host}/same/app:c1-arm64=linux/arm64/v8`,
    ]);
    expect(run.stderr).toBe(`created: ${host}/same/app:args (2 manifests)\n`);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/same/app:args`));
    expect(index.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [b.manifest.digest, amd64],
      [a.manifest.digest, arm64],
    ]);
  });

  it("fails with exit 1 when a stated platform contradicts the config, naming source and both platforms", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/same/app:liar`,
      `${host}/same/app:c1-amd64=linux/arm64`,
      `${host}/same/app:c1-arm=linux/arm/v7`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${host}/same/app:c1-amd64`);
    expect(run.stderr).toContain("linux/arm64");
    expect(run.stderr).toContain("linux/amd64");
    expect(writes(proxy)).toEqual([]);
    expect(await digestAt("same/app", "liar")).toBeUndefined();
  });

  it("refuses two sources whose configs are the same platform with exit 2, pushing nothing", async () => {
    const twin = await pushSynthetic(via, "same/app", "twin-amd64", { platform: amd64, seed: "twin" });
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/same/app:twins`,
      `${host}/same/app:c1-amd64`,
      `${host}/same/app@${twin.manifest.digest}`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("linux/amd64");
    expect(run.stderr).toContain(`${host}/same/app:c1-amd64`);
    expect(writes(proxy)).toEqual([]);
  });
});

describe("index type", () => {
  let dockerAmd: Image;
  let dockerArm: Image;
  beforeAll(async () => {
    dockerAmd = await pushSynthetic(via, "types/app", "docker-amd64", {
      platform: amd64,
      seed: "t",
      format: "docker",
    });
    dockerArm = await pushSynthetic(via, "types/app", "docker-arm64", {
      platform: arm64,
      seed: "t",
      format: "docker",
    });
    await pushSynthetic(via, "types/app", "oci-arm64", { platform: arm64, seed: "t", format: "oci" });
  });

  it("is a Docker manifest list when every child is a Docker manifest", async () => {
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/types/app:docker`,
      `${host}/types/app:docker-amd64`,
      `${host}/types/app:docker-arm64`,
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/types/app:docker`));
    expect(index.mediaType).toBe(mediaTypes.dockerList);
    expect(index.manifests.map((m) => [m.mediaType, m.digest])).toEqual([
      [mediaTypes.dockerManifest, dockerAmd.manifest.digest],
      [mediaTypes.dockerManifest, dockerArm.manifest.digest],
    ]);
  });

  it("is an OCI index when one child is OCI, or when --type oci asks", async () => {
    const mixed = await polyarch([
      "merge",
      "--target",
      `${host}/types/app:mixed`,
      `${host}/types/app:docker-amd64`,
      `${host}/types/app:oci-arm64`,
    ]);
    expect(mixed.code).toBe(0);
    expect(json(await skopeoInspectRaw(`${registry.host}/types/app:mixed`)).mediaType).toBe(
      mediaTypes.ociIndex,
    );
    const asked = await polyarch([
      "merge",
      "--type",
      "oci",
      "--target",
      `${host}/types/app:asked`,
      `${host}/types/app:docker-amd64`,
    ]);
    expect(asked.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/types/app:asked`));
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.manifests[0]?.mediaType).toBe(mediaTypes.dockerManifest);
  });

  it("refuses --type docker over an OCI child with exit 2, because registries reject that list", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--type",
      "docker",
      "--target",
      `${host}/types/app:refused`,
      `${host}/types/app:docker-amd64`,
      `${host}/types/app:oci-arm64`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${host}/types/app:oci-arm64`);
    expect(run.stderr).toContain("--type oci");
    expect(writes(proxy)).toEqual([]);
  });

  it("annotates an OCI index and one platform's entry; refuses annotations on a Docker list", async () => {
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/types/app:annotated`,
      "--annotation",
      "org.opencontainers.image.source=https://gitlab.example/app",
      "--annotation",
      "linux/arm64:org.example.built-on=arm-runner-1",
      `${host}/types/app:docker-amd64`,
      `${host}/types/app:docker-arm64`,
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/types/app:annotated`));
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.annotations).toEqual({ "org.opencontainers.image.source": "https://gitlab.example/app" });
    expect(index.manifests.map((m) => m.annotations)).toEqual([
      undefined,
      { "org.example.built-on": "arm-runner-1" },
    ]);

    proxy.reset();
    const refused = await polyarch([
      "merge",
      "--type",
      "docker",
      "--target",
      `${host}/types/app:annotated-docker`,
      "--annotation",
      "a=b",
      `${host}/types/app:docker-amd64`,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/annotation/i);
    expect(writes(proxy)).toEqual([]);
  });
});

describe("sources in another repository of the registry", () => {
  let images: Image[];
  beforeAll(async () => {
    images = [
      await pushSynthetic(via, "src/app", "x-amd64", { platform: amd64, seed: "x", layers: 2 }),
      await pushSynthetic(via, "src/app", "x-arm64", { platform: arm64, seed: "x", layers: 2 }),
    ];
  });
  const template = () => ["--platforms", "linux/amd64,linux/arm64", "--template", `${host}/src/app:x-{arch}`];
  /** Merges the two sources into `repo:x` (plus `tags`), for tests about what a second run does. */
  async function mergedBefore(repo: string, tags: string[] = []): Promise<string | undefined> {
    const extra = tags.length > 0 ? ["--tags", tags.join(",")] : [];
    const run = await polyarch(["merge", ...template(), "--target", `${host}/${repo}:x`, ...extra]);
    expect(run.code).toBe(0);
    return await digestAt(repo, "x");
  }

  it("mounts the blobs, pushes the children by digest, then the target tag, then the extra tags", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      ...template(),
      "--target",
      `${host}/dst/mounted:x`,
      "--tags",
      "latest,stable",
    ]);
    expect(run.code).toBe(0);
    const blobs = images.flatMap((image) => [image.config, ...image.layers]);
    const mounts = proxy.counter.filter({ method: "POST", route: "upload", path: /[?&]mount=/ });
    expect(mounts.map((r) => r.status)).toEqual(blobs.map(() => 201));
    expect(proxy.counter.count({ method: "PUT", route: "upload" })).toBe(0);
    expect(proxy.counter.count({ method: "PATCH" })).toBe(0);
    const digest = sha256Digest(await skopeoInspectRaw(`${registry.host}/dst/mounted:x`));
    expect(manifestPuts()).toEqual([
      ...images.map((image) => image.manifest.digest),
      "x",
      "latest",
      "stable",
    ]);
    expect(await tagsOf("dst/mounted")).toEqual(["latest", "stable", "x"]);
    expect(await digestAt("dst/mounted", "latest")).toBe(digest);
    expect(await digestAt("dst/mounted", "stable")).toBe(digest);
  });

  it("never re-PUTs a tag that already points at the index, and writes only the tag that does not", async () => {
    const digest = await mergedBefore("dst/retag", ["latest", "stable"]);
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--json",
      ...template(),
      "--target",
      `${host}/dst/retag:x`,
      "--tags",
      "latest,stable,extra",
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.action).toBe("unchanged");
    expect(report.tags).toEqual([
      { tag: "latest", action: "unchanged" },
      { tag: "stable", action: "unchanged" },
      { tag: "extra", action: "created" },
    ]);
    expect(manifestPuts()).toEqual(["extra"]);
    expect(proxy.counter.count({ route: "upload" })).toBe(0);
    expect(await digestAt("dst/retag", "extra")).toBe(digest);
  });

  it("updates a tag that points elsewhere, reporting it updated", async () => {
    const digest = await mergedBefore("dst/moved");
    const elsewhere = await pushSynthetic(via, "dst/moved", "moved", { platform: amd64, seed: "moved" });
    expect(await digestAt("dst/moved", "moved")).toBe(elsewhere.manifest.digest);
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--json",
      ...template(),
      "--target",
      `${host}/dst/moved:x`,
      "--tags",
      "moved",
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).tags).toEqual([{ tag: "moved", action: "updated" }]);
    expect(manifestPuts()).toEqual(["moved"]);
    expect(await digestAt("dst/moved", "moved")).toBe(digest);
  });

  it("copies the blobs when the registry will not mount them", async () => {
    proxy.reset();
    const refusal = proxy.inject({
      type: "status",
      status: 405,
      method: "POST",
      path: /[?&]mount=/,
      times: Infinity,
    });
    const run = await polyarch(["merge", "--json", ...template(), "--target", `${host}/copied/app:x`]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const blobs = images.flatMap((image) => [image.config, ...image.layers]);
    expect(refusal.hits).toBe(blobs.length);
    expect(proxy.counter.count({ method: "PUT", route: "upload", status: 201 })).toBe(blobs.length);
    const report = JSON.parse(run.stdout);
    expect(report.copied.bytes).toBe(blobs.reduce((sum, blob) => sum + blob.size, 0));
    expect(
      json(await skopeoInspectRaw(`${registry.host}/copied/app:x`)).manifests.map((m) => m.digest),
    ).toEqual(images.map((image) => image.manifest.digest));
    // skopeo reads every blob back: the copies are complete.
    await skopeo(["inspect", `docker://${registry.host}/copied/app@${images[1]?.manifest.digest}`]);
  });
});

describe("index sources", () => {
  let helperAmd: Image;
  let helperArm: Image;
  beforeAll(async () => {
    helperAmd = await syntheticImage({ platform: amd64, seed: "helper" });
    helperArm = await syntheticImage({ platform: arm64, seed: "helper" });
    // gitlab-runner-helper 17.8+ publishes each architecture as a one-entry index (plus an attestation).
    await pushIndex(
      via,
      "upstream/helper",
      "x86_64-v17.8.0",
      indexOf([helperAmd, await attestationFor(helperAmd)]),
    );
    await pushIndex(via, "upstream/helper", "arm64-v17.8.0", indexOf([helperArm]));
    await pushIndex(
      via,
      "upstream/multi",
      "1",
      indexOf([helperAmd, helperArm, await attestationFor(helperAmd), await attestationFor(helperArm)]),
    );
  });

  it("takes the image out of a one-entry index and drops attestations with --no-attestations", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--no-attestations",
      "--target",
      `${host}/mirror/helper:v17.8.0`,
      `${host}/upstream/helper:x86_64-v17.8.0`,
      `${host}/upstream/helper:arm64-v17.8.0`,
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/mirror/helper:v17.8.0`));
    expect(index.manifests).toEqual([
      { ...helperAmd.descriptor, platform: amd64 },
      { ...helperArm.descriptor, platform: arm64 },
    ]);
  });

  it("takes the only image of a one-entry index whose entry states no platform, checked by its config", async () => {
    const { platform: _, ...descriptor } = helperArm.descriptor;
    await pushIndex(via, "upstream/bare", "arm64", indexOf([{ ...helperArm, descriptor }]));
    await pushIndex(
      via,
      "upstream/bare",
      "amd64",
      indexOf([{ ...helperAmd, descriptor: { ...helperAmd.descriptor, platform: undefined } }]),
    );
    const run = await polyarch([
      "merge",
      "--platforms",
      "linux/arm64,linux/amd64",
      "--template",
      `${host}/upstream/bare:{arch}`,
      "--target",
      `${host}/mirror/bare:1`,
    ]);
    expect(run.stderr).toContain("created");
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/mirror/bare:1`));
    expect(index.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [helperArm.manifest.digest, arm64],
      [helperAmd.manifest.digest, amd64],
    ]);
    const liar = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/bare:liar`,
      `${host}/upstream/bare:arm64=linux/amd64`,
    ]);
    expect(liar.code).toBe(1);
    expect(liar.stderr).toContain("linux/arm64");
  });

  it("keeps the attestations with --keep-attestations, each after its image, copied to the target", async () => {
    const attestation = await attestationFor(helperAmd);
    const run = await polyarch([
      "merge",
      "--keep-attestations",
      "--target",
      `${host}/mirror/helper:attested`,
      `${host}/upstream/helper:x86_64-v17.8.0`,
      `${host}/upstream/helper:arm64-v17.8.0`,
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/mirror/helper:attested`));
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.manifests.map((m) => m.digest)).toEqual([
      helperAmd.manifest.digest,
      attestation.manifest.digest,
      helperArm.manifest.digest,
    ]);
    expect(index.manifests[1]?.annotations).toMatchObject({
      "vnd.docker.reference.type": "attestation-manifest",
      "vnd.docker.reference.digest": helperAmd.manifest.digest,
    });
    expect((await fetchManifest(registry, "mirror/helper", attestation.manifest.digest)).status).toBe(200);
  });

  it("picks the stated platform's child from a multi-platform index, with that child's attestation", async () => {
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/multi:arm`,
      `${host}/upstream/multi:1=linux/arm64`,
    ]);
    expect(run.code).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/mirror/multi:arm`));
    expect(index.manifests.map((m) => m.digest)).toEqual([
      helperArm.manifest.digest,
      (await attestationFor(helperArm)).manifest.digest,
    ]);
  });

  it("takes the child that is the stated platform, never a lower variant listed first (exit 1 when absent)", async () => {
    const armv6 = await syntheticImage({ platform: { ...armv7, variant: "v6" }, seed: "variants" });
    const v7 = await syntheticImage({ platform: armv7, seed: "variants" });
    await pushIndex(via, "upstream/arm", "both", indexOf([armv6, v7]));
    await pushIndex(via, "upstream/arm", "v6-only", indexOf([armv6, helperAmd]));
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/arm:v7`,
      `${host}/upstream/arm:both=linux/arm`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const index = json(await skopeoInspectRaw(`${registry.host}/mirror/arm:v7`));
    expect(index.manifests.map((m) => m.digest)).toEqual([v7.manifest.digest]);
    proxy.reset();
    const absent = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/arm:absent`,
      `${host}/upstream/arm:v6-only=linux/arm/v7`,
    ]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain("is an index without linux/arm/v7");
    expect(absent.stderr).toContain("it holds linux/arm/v6, linux/amd64");
    expect(writes(proxy)).toEqual([]);
  });

  it("asks for the platform when a multi-platform index source states none (exit 2), and names what is offered", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/multi:which`,
      `${host}/upstream/multi:1`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("linux/amd64, linux/arm64");
    expect(writes(proxy)).toEqual([]);
    const absent = await polyarch([
      "merge",
      "--target",
      `${host}/mirror/multi:which`,
      `${host}/upstream/multi:1=linux/s390x`,
    ]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain("linux/s390x");
    expect(writes(proxy)).toEqual([]);
  });
});

describe("missing sources", () => {
  let present: Image[];
  beforeAll(async () => {
    present = [
      await pushSynthetic(via, "partial/app", "p-amd64", { platform: amd64, seed: "p" }),
      await pushSynthetic(via, "partial/app", "p-arm64", { platform: arm64, seed: "p" }),
    ];
  });
  const args = (tag: string, target = tag) => [
    "merge",
    "--platforms",
    "linux/amd64,linux/arm/v7,linux/arm64",
    "--template",
    `${host}/partial/app:${tag}-{arch}`,
    "--target",
    `${host}/partial/app:${target}`,
  ];

  it("fail the merge with exit 1, naming the absent source and pushing nothing", async () => {
    proxy.reset();
    const run = await polyarch(args("p"));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${host}/partial/app:p-arm`);
    expect(writes(proxy)).toEqual([]);
    expect(await digestAt("partial/app", "p")).toBeUndefined();
  });

  it("are skipped with --ignore-missing, and reported", async () => {
    const run = await polyarch([...args("p", "p-skipped"), "--ignore-missing", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`skipping ${host}/partial/app:p-arm`);
    expect(JSON.parse(run.stdout).missing).toEqual([`${host}/partial/app:p-arm`]);
    const index = json(await skopeoInspectRaw(`${registry.host}/partial/app:p-skipped`));
    expect(index.manifests.map((m) => m.digest)).toEqual(present.map((image) => image.manifest.digest));
  });

  it("are still an error with --ignore-missing when every source is absent", async () => {
    proxy.reset();
    const run = await polyarch([...args("none"), "--ignore-missing"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/none of the source images exist/);
    expect(writes(proxy)).toEqual([]);
    expect(await digestAt("partial/app", "none")).toBeUndefined();
  });
});
