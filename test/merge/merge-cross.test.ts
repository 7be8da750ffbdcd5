import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type FaultProxy,
  fetchManifest,
  type Image,
  type Registry,
  sha256Digest,
  skopeo,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, json, polyarch, pushSynthetic, through } from "./support.ts";

// Two registries, because the point is what crosses between them: an anonymous one holding the sources
// and an htpasswd one receiving the index, each behind a proxy that records every request.
let source: Registry;
let target: Registry;
let sourceProxy: FaultProxy;
let targetProxy: FaultProxy;
let images: Image[];
let creds: { username: string; password: string };
let layout: TempDir;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: "basic", username: "ci" })]);
  sourceProxy = await startFaultProxy(source.url);
  targetProxy = await startFaultProxy(target.url);
  creds = { username: target.username ?? "", password: target.password ?? "" };
  const via = through(source, sourceProxy);
  images = [
    await pushSynthetic(via, "builds/app", "7-amd64", {
      platform: amd64,
      seed: "cross",
      layers: [3000, 70_000],
    }),
    await pushSynthetic(via, "builds/app", "7-arm64", {
      platform: arm64,
      seed: "cross",
      layers: [3000, 70_000],
    }),
  ];
  layout = await tempDir("polyarch-merge-layout-");
});
afterAll(async () => {
  await layout?.remove();
  await Promise.all([sourceProxy.stop(), targetProxy.stop()]);
  await Promise.all([source.stop(), target.stop()]);
});

const blobsOf = (list: Image[]) => list.flatMap((image) => [image.config, ...image.layers]);
const sizeOf = (list: Image[]) => blobsOf(list).reduce((sum, blob) => sum + blob.size, 0);

/** `merge` from the source registry's two images into `target` (`repo:tag`) in the target registry. */
function mergeArgs(target: string): string[] {
  return [
    "merge",
    "--username",
    creds.username,
    "--password",
    creds.password,
    "--platforms",
    "linux/amd64,linux/arm64",
    "--template",
    `${sourceProxy.host}/builds/app:7-{arch}`,
    "--target",
    `${targetProxy.host}/${target}`,
  ];
}

describe("sources in another registry", () => {
  it("streams every blob across, pushes the children by digest, then the tag", async () => {
    sourceProxy.reset();
    targetProxy.reset();
    // A repository of its own: no other test's blobs are there to be found instead of copied.
    const run = await polyarch([...mergeArgs("team/streamed:7"), "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.copied).toEqual({
      blobs: { exists: 0, mounted: 0, copied: blobsOf(images).length },
      bytes: sizeOf(images),
      manifests: images.length,
    });
    expect(targetProxy.counter.count({ method: "POST", path: "mount=" })).toBe(0);
    expect(targetProxy.counter.count({ method: "PUT", route: "upload", status: 201 })).toBe(
      blobsOf(images).length,
    );
    expect(
      targetProxy.counter
        .filter({ method: "PUT", route: "manifest", status: 201 })
        .map((r) => r.path.split("/manifests/")[1]),
    ).toEqual([...images.map((image) => image.manifest.digest), "7"]);

    const raw = await skopeoInspectRaw(`${target.host}/team/streamed:7`, { creds });
    expect(report.digest).toBe(sha256Digest(raw));
    expect(json(raw).manifests.map((m) => m.digest)).toEqual(images.map((image) => image.manifest.digest));
    // Every child reads back whole from the target.
    for (const image of images) {
      await skopeo(["inspect", `docker://${target.host}/team/streamed@${image.manifest.digest}`], { creds });
    }
  });

  it("sends --username/--password to the target registry only", async () => {
    sourceProxy.reset();
    targetProxy.reset();
    const run = await polyarch(mergeArgs("team/app:creds"));
    expect(run.code).toBe(0);
    expect(sourceProxy.counter.requests.length).toBeGreaterThan(0);
    expect(sourceProxy.counter.filter().filter((r) => r.authorized)).toEqual([]);
    const puts = targetProxy.counter.filter({ method: "PUT" });
    expect(puts.map((r) => r.path.split("/manifests/")[1])).toContain("creds");
    expect(puts.filter((r) => !r.authorized)).toEqual([]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(creds.password);
  });

  it("does the same through `push from-args` with manifest-tool's global flags", async () => {
    sourceProxy.reset();
    const run = await polyarch([
      "--username",
      creds.username,
      "--password",
      creds.password,
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${sourceProxy.host}/builds/app:7-ARCH`,
      "--target",
      `${targetProxy.host}/team/app:mt`,
    ]);
    expect(run.code).toBe(0);
    const raw = await skopeoInspectRaw(`${target.host}/team/app:mt`, { creds });
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
    expect(sourceProxy.counter.filter().filter((r) => r.authorized)).toEqual([]);
  });

  it("reads the target's credentials from manifest-tool's --docker-cfg directory", async () => {
    const dockerCfg = await tempDir("polyarch-docker-cfg-");
    try {
      const auth = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
      await writeFile(
        join(dockerCfg.path, "config.json"),
        JSON.stringify({ auths: { [targetProxy.host]: { auth } } }),
        { mode: 0o600 },
      );
      sourceProxy.reset();
      const run = await polyarch([
        "--docker-cfg",
        dockerCfg.path,
        "push",
        "from-args",
        "--platforms",
        "linux/amd64,linux/arm64",
        "--template",
        `${sourceProxy.host}/builds/app:7-ARCH`,
        "--target",
        `${targetProxy.host}/team/app:cfg`,
      ]);
      // manifest-tool's default type over OCI children: written, with the warning only.
      expect(run.stderr).toMatch(/^warning: writing a Docker manifest list over OCI manifests[^\n]*\n$/);
      expect(run.code).toBe(0);
      const raw = await skopeoInspectRaw(`${target.host}/team/app:cfg`, { creds });
      expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
      expect(sourceProxy.counter.filter().filter((r) => r.authorized)).toEqual([]);
    } finally {
      await dockerCfg.remove();
    }
  });

  it("re-run writes nothing to the target and reads no layer from the source", async () => {
    expect((await polyarch(mergeArgs("team/rerun:7"))).code).toBe(0);
    sourceProxy.reset();
    targetProxy.reset();
    const run = await polyarch([...mergeArgs("team/rerun:7"), "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).action).toBe("unchanged");
    expect(targetProxy.counter.filter().filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual([]);
    const layers = new Set(images.flatMap((image) => image.layers.map((layer) => layer.digest)));
    expect(
      sourceProxy.counter
        .filter({ route: "blob" })
        .filter((r) => layers.has(r.path.split("/blobs/")[1] ?? "")),
    ).toEqual([]);
  });

  it("fails with exit 1 when the target refuses the credentials, without printing them", async () => {
    targetProxy.reset();
    const wrong = "wrong-password-123";
    const run = await polyarch([
      "merge",
      "--username",
      creds.username,
      "--password",
      wrong,
      "--target",
      `${targetProxy.host}/team/app:denied`,
      `${sourceProxy.host}/builds/app:7-amd64`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(targetProxy.host);
    expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
    expect(targetProxy.counter.count({ method: "PUT", status: 201 })).toBe(0);
    expect((await fetchManifest(target, "team/app", "denied")).status).toBe(404);
  });
});

describe("sources in an OCI layout", () => {
  beforeAll(async () => {
    await skopeo([
      "copy",
      "--preserve-digests",
      `docker://${source.host}/builds/app:7-arm64`,
      `oci:${layout.path}:arm64`,
    ]);
  });

  it("copies a layout image and a registry image into one index", async () => {
    const [amd, arm] = images as [Image, Image];
    targetProxy.reset();
    const run = await polyarch([
      "merge",
      "--json",
      "--username",
      creds.username,
      "--password",
      creds.password,
      "--target",
      `${targetProxy.host}/team/from-layout:1`,
      `${sourceProxy.host}/builds/app:7-amd64`,
      `oci:${layout.path}:arm64=linux/arm64`,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.manifests.map((m: { source: string }) => m.source)).toEqual([
      `${sourceProxy.host}/builds/app:7-amd64`,
      `oci:${layout.path}:arm64`,
    ]);
    expect(report.copied.bytes).toBe(sizeOf(images));
    const raw = await skopeoInspectRaw(`${target.host}/team/from-layout:1`, { creds });
    expect(json(raw).manifests.map((m) => [m.digest, m.platform])).toEqual([
      [amd.manifest.digest, amd64],
      [arm.manifest.digest, arm64],
    ]);
    await skopeo(["inspect", `docker://${target.host}/team/from-layout@${arm.manifest.digest}`], { creds });
  });

  it("merges into an OCI layout target too, and a re-run leaves it unchanged", async () => {
    const out = `oci:${layout.path}:multi`;
    const args = [
      "merge",
      "--json",
      "--target",
      out,
      `${sourceProxy.host}/builds/app:7-amd64`,
      `oci:${layout.path}:arm64`,
    ];
    const run = await polyarch(args);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    const raw = await skopeoInspectRaw(out);
    expect(sha256Digest(raw)).toBe(report.digest);
    expect(json(raw).manifests.map((m) => m.digest)).toEqual(images.map((image) => image.manifest.digest));
    const again = await polyarch(args);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: "unchanged", digest: report.digest });
  });
});
