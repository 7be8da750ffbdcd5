import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseHelperSpec, refresh } from "@polyarch/helper-image";
import {
  cosignSignature,
  type FaultProxy,
  fallbackTag,
  fetchManifest,
  ociArtifact,
  pushCosignTag,
  pushReferrer,
  type Registry,
  referrerDescriptor,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, polyarch, testClient, writes } from "../mirror/support.ts";
import { childOf, REPOSITORY, type SeededUpstream, seedUpstream } from "./upstream.ts";

// The helper refresh carries what refers to each upstream image it copies (a cosign signature, an SBOM by
// the fallback tag, as distribution 2.8 has no referrers API), before the index tag. Registries of its own:
// the referrers pushed here would change what refresh.test.ts counts.
let upstream: Registry;
let target: Registry;
let down: FaultProxy;
let seeded: SeededUpstream;
let work: TempDir;

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  down = await startFaultProxy(target.url);
  seeded = await seedUpstream(upstream);
  work = await tempDir("polyarch-helper-referrers-");
});
afterAll(async () => {
  await work?.remove();
  await down?.stop();
  await Promise.all([upstream?.stop(), target?.stop()]);
});

const specText = (repository: string, extra = "", item = { version: "18.9.0", flavor: "alpine" }) =>
  [
    "upstream:",
    `  registry: ${upstream.host}`,
    `  repository: ${REPOSITORY}`,
    `versions: { list: [${item.version}] }`,
    `flavors: [${item.flavor}]`,
    "architectures: [x86_64, arm64]",
    "target:",
    `  repository: ${down.host}/${repository}`,
    extra,
  ].join("\n");
const spec = (...args: Parameters<typeof specText>) => parseHelperSpec(specText(...args), "helper.yaml");

describe("helper refresh carries referrers", () => {
  it("copies each image's cosign signature and SBOM before the index tag; referrers: false leaves them", async () => {
    const amd64 = seeded.perArch.get("x86_64-v18.9.0")!.images[0]!;
    const signature = cosignSignature(amd64.manifest.digest, `${upstream.host}/${REPOSITORY}`);
    const sbom = ociArtifact(amd64.descriptor);
    await pushCosignTag(upstream, REPOSITORY, signature);
    await pushReferrer(upstream, REPOSITORY, sbom);

    const { client, context } = testClient();
    try {
      down.reset();
      const report = await refresh(spec("signed/helper"), context);
      expect(report.items.map((item) => item.action)).toEqual(["created"]);
      const stored = await fetchManifest(target, "signed/helper", signature.tag);
      expect(stored.digest).toBe(signature.manifest.digest);
      expect(
        json((await fetchManifest(target, "signed/helper", fallbackTag(amd64.manifest.digest))).bytes)
          .manifests,
      ).toEqual([referrerDescriptor(sbom)]);
      const puts = down.counter
        .filter({ method: "PUT", route: "manifest" })
        .map((r) => r.path.split("/manifests/")[1]);
      const indexTag = puts.indexOf("v18.9.0");
      expect(indexTag).toBeGreaterThan(puts.indexOf(sbom.manifest.digest));
      expect(indexTag).toBeGreaterThan(puts.indexOf(signature.tag));
      expect(indexTag).toBeGreaterThan(puts.indexOf(fallbackTag(amd64.manifest.digest)));

      const off = await refresh(spec("unsigned/helper", "referrers: false"), context);
      expect(off.items.map((item) => item.action)).toEqual(["created"]);
      expect((await fetchManifest(target, "unsigned/helper", signature.tag)).status).toBe(404);
    } finally {
      await client.close();
    }
  });

  it("a current item gets what was published upstream since its last refresh; its index and receipt are left as they were", async () => {
    // ubuntu 18.9.0: no other test signs its images.
    const item = { version: "18.9.0", flavor: "ubuntu" };
    const { client, context } = testClient();
    try {
      const first = await refresh(spec("later/helper", "", item), context);
      expect(first.items.map((i) => i.action)).toEqual(["created"]);
      expect(first.items[0]!.referrers).toMatchObject({ found: { referrers: 0, tags: 0 } });
      const tagsBefore = await tagsOf("later/helper");

      const amd64 = seeded.perArch.get("ubuntu-x86_64-v18.9.0")!.images[0]!;
      const arm64 = seeded.perArch.get("ubuntu-arm64-v18.9.0")!.images[0]!;
      const signature = cosignSignature(arm64.manifest.digest, `${upstream.host}/${REPOSITORY}`);
      const sbom = ociArtifact(amd64.descriptor);
      await pushCosignTag(upstream, REPOSITORY, signature);
      await pushReferrer(upstream, REPOSITORY, sbom);

      down.reset();
      const second = await refresh(spec("later/helper", "", item), context);
      expect(second.items[0]).toMatchObject({
        action: "unchanged",
        digest: first.items[0]!.digest,
        referrers: { found: { referrers: 1, tags: 1 }, copied: { referrers: 1, tags: 1 } },
      });
      expect((await fetchManifest(target, "later/helper", signature.tag)).digest).toBe(
        signature.manifest.digest,
      );
      expect(
        json((await fetchManifest(target, "later/helper", fallbackTag(amd64.manifest.digest))).bytes)
          .manifests,
      ).toEqual([referrerDescriptor(sbom)]);
      // Only the referrers were written: the SBOM by digest, the fallback index, the signature tag.
      const puts = down.counter
        .filter({ method: "PUT", route: "manifest" })
        .map((r) => r.path.split("/manifests/")[1]);
      expect(puts.sort()).toEqual(
        [sbom.manifest.digest, fallbackTag(amd64.manifest.digest), signature.tag].sort(),
      );
      expect((await fetchManifest(target, "later/helper", "ubuntu-v18.9.0")).digest).toBe(
        first.items[0]!.digest,
      );
      expect((await tagsOf("later/helper")).filter((tag) => !tag.startsWith("sha256-"))).toEqual(tagsBefore);

      down.reset();
      const third = await refresh(spec("later/helper", "", item), context);
      expect(third.items[0]).toMatchObject({
        action: "unchanged",
        referrers: { found: { referrers: 1, tags: 1 }, copied: { referrers: 0, tags: 0 } },
      });
      expect(writes(down)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("a relabelled image's new signature is found by the digest upstream published, which the index records; the CLI says what came", async () => {
    // 18.8.0: arm64-v18.8.0 is labelled amd64, so fixPlatform republishes it under another digest.
    const item = { version: "18.8.0", flavor: "alpine" };
    const { client, context } = testClient();
    try {
      const first = await refresh(spec("later-fixed/helper", "fixPlatform: true", item), context);
      expect(first.items.map((i) => i.action)).toEqual(["fixed"]);
      const published = childOf(seeded, "arm64-v18.8.0");
      expect(first.items[0]!.fixed?.map((fix) => fix.from)).toEqual([published]);
      const signature = cosignSignature(published, `${upstream.host}/${REPOSITORY}`);
      await pushCosignTag(upstream, REPOSITORY, signature);

      // Through the CLI, which says what it copied.
      const file = join(work.path, "later-fixed.yaml");
      await writeFile(file, specText("later-fixed/helper", "fixPlatform: true", item));
      const cli = await polyarch(["helper", "refresh", file]);
      expect(cli.code).toBe(0);
      expect(cli.stdout.trim()).toBe(`${first.items[0]!.reference}`);
      expect(cli.stderr).toMatch(/^unchanged\s+18\.8\.0\s+alpine\s/m);
      expect(cli.stderr).toContain("referrers copied: 0 OCI referrers, 1 cosign tags");
      expect((await fetchManifest(target, "later-fixed/helper", signature.tag)).digest).toBe(
        signature.manifest.digest,
      );
    } finally {
      await client.close();
    }
  });
});

async function tagsOf(repository: string): Promise<string[]> {
  const response = await fetch(`${target.url}/v2/${repository}/tags/list`);
  return ((await response.json()) as { tags: string[] }).tags.sort();
}
