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
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, testClient } from "../mirror/support.ts";
import { REPOSITORY, type SeededUpstream, seedUpstream } from "./upstream.ts";

// The helper refresh carries what refers to each upstream image it copies (a cosign signature, an SBOM by
// the fallback tag, as distribution 2.8 has no referrers API), before the index tag. Registries of its own:
// the referrers pushed here would change what refresh.test.ts counts.
let upstream: Registry;
let target: Registry;
let down: FaultProxy;
let seeded: SeededUpstream;

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  down = await startFaultProxy(target.url);
  seeded = await seedUpstream(upstream);
});
afterAll(async () => {
  await down?.stop();
  await Promise.all([upstream?.stop(), target?.stop()]);
});

const spec = (repository: string, extra = "") =>
  parseHelperSpec(
    [
      "upstream:",
      `  registry: ${upstream.host}`,
      `  repository: ${REPOSITORY}`,
      "versions: { list: [18.9.0] }",
      "flavors: [alpine]",
      "architectures: [x86_64, arm64]",
      "target:",
      `  repository: ${down.host}/${repository}`,
      extra,
    ].join("\n"),
    "helper.yaml",
  );

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
});
