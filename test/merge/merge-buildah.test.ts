import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Buildah,
  busyboxImage,
  elfMachine,
  elfMachines,
  fetchManifest,
  type Image,
  pushImage,
  type Registry,
  startBuildah,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, polyarch } from "./support.ts";

// buildah, an independent implementation of the same formats, reads what polyarch merges and merges
// the same sources itself; the indexes must agree byte for byte.
let registry: Registry;
let buildah: Buildah;
let busybox: Record<"amd64" | "arm64", Image>;

beforeAll(async () => {
  registry = await startRegistry();
  buildah = await startBuildah([registry.host]);
  busybox = {
    amd64: await busyboxImage({ arch: "amd64" }),
    arm64: await busyboxImage({ arch: "arm64" }),
  };
  await pushImage(registry, "bb/app", "amd64", busybox.amd64);
  await pushImage(registry, "bb/app", "arm64", busybox.arm64);
});
afterAll(async () => {
  await buildah?.remove();
  await registry?.stop();
});

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** `polyarch merge` of `sources` (repo:tag in the registry) into `target`; returns the index bytes pushed. */
async function polyarchMerge(target: string, sources: string[], flags: string[] = []): Promise<Buffer> {
  const run = await polyarch([
    "merge",
    ...flags,
    "--target",
    `${registry.host}/${target}`,
    ...sources.map((s) => `${registry.host}/${s}`),
  ]);
  expect(run.stderr).toContain("created");
  expect(run.code).toBe(0);
  const [repo, tag] = target.split(":") as [string, string];
  return (await fetchManifest(registry, repo, tag)).bytes;
}

/** buildah's way: `manifest create`, one `manifest add` per source, `manifest push --all`. */
async function buildahMerge(target: string, sources: string[], pushFlags: string[] = []): Promise<Buffer> {
  const list = `list-${target.replace(/[^a-z0-9]+/g, "-")}`;
  await buildah.run(["manifest", "create", list]);
  for (const source of sources) {
    await buildah.run(["manifest", "add", "--tls-verify=false", list, `docker://${registry.host}/${source}`]);
  }
  const digestFile = join(buildah.dir, `${list}.digest`);
  await buildah.run([
    "manifest",
    "push",
    "--all",
    "--tls-verify=false",
    ...pushFlags,
    "--digestfile",
    digestFile,
    list,
    `docker://${registry.host}/${target}`,
  ]);
  const [repo, tag] = target.split(":") as [string, string];
  const bytes = (await fetchManifest(registry, repo, tag)).bytes;
  // What buildah says it pushed is what the registry holds.
  expect((await readFile(digestFile, "utf8")).trim()).toBe(sha256(bytes));
  return bytes;
}

describe("buildah reads a polyarch index", () => {
  it("buildah manifest inspect shows the index polyarch pushed, entry for entry", async () => {
    const bytes = await polyarchMerge("bb/app:inspected", ["bb/app:amd64", "bb/app:arm64"]);
    const shown = JSON.parse(await buildah.run(["manifest", "inspect", `${registry.host}/bb/app:inspected`]));
    expect(shown).toEqual(JSON.parse(bytes.toString("utf8")));
    // Each child under the platform its own config states.
    type Entry = { digest: string; platform: { os: string; architecture: string } };
    expect(shown.manifests.map((m: Entry) => [m.digest, m.platform])).toEqual([
      [busybox.amd64.manifest.digest, amd64],
      [busybox.arm64.manifest.digest, arm64],
    ]);
  });

  it("buildah pull --arch arm64 takes the arm64 child, whose busybox is an arm64 ELF", async () => {
    await polyarchMerge("bb/app:pulled", ["bb/app:amd64", "bb/app:arm64"]);
    const reference = `${registry.host}/bb/app:pulled`;
    await buildah.run(["pull", "--tls-verify=false", "--arch", "arm64", `docker://${reference}`]);
    const image = JSON.parse(await buildah.run(["inspect", "--type", "image", reference]));
    expect(image.FromImageDigest).toBe(busybox.arm64.manifest.digest);
    expect(image.OCIv1).toMatchObject({ architecture: "arm64", os: "linux" });

    const container = (await buildah.run(["from", "--pull=never", reference])).trim();
    try {
      const root = (await buildah.run(["mount", container])).trim();
      const binary = await readFile(join(root, "bin", "busybox"));
      expect(elfMachine(binary)).toBe(elfMachines.arm64);
    } finally {
      await buildah.run(["rm", container]);
    }
  });
});

describe("polyarch and buildah merge the same sources into the same bytes", () => {
  it("OCI children: the same OCI index", async () => {
    const sources = ["bb/app:amd64", "bb/app:arm64"];
    const ours = await polyarchMerge("bb/app:by-polyarch", sources);
    const theirs = await buildahMerge("bb/app:by-buildah", sources);
    expect(JSON.parse(ours.toString("utf8")).mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(ours.toString("utf8")).toBe(theirs.toString("utf8"));
  });

  describe("Docker children", () => {
    beforeAll(async () => {
      for (const platform of [amd64, arm64]) {
        const image = await syntheticImage({ platform, seed: "buildah", format: "docker", layers: 2 });
        await pushImage(registry, "docker/app", platform.architecture, image);
      }
    });
    const sources = ["docker/app:amd64", "docker/app:arm64"];

    it("a Docker manifest list, as buildah's --format v2s2 writes it", async () => {
      const ours = await polyarchMerge("docker/app:by-polyarch", sources);
      const theirs = await buildahMerge("docker/app:by-buildah", sources, ["--format", "v2s2"]);
      expect(JSON.parse(ours.toString("utf8")).mediaType).toBe(
        "application/vnd.docker.distribution.manifest.list.v2+json",
      );
      expect(ours.toString("utf8")).toBe(theirs.toString("utf8"));
    });

    it("an OCI index with --type oci, as buildah writes by default", async () => {
      const ours = await polyarchMerge("docker/app:oci-by-polyarch", sources, ["--type", "oci"]);
      const theirs = await buildahMerge("docker/app:oci-by-buildah", sources);
      expect(ours.toString("utf8")).toBe(theirs.toString("utf8"));
    });
  });
});
