import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  cosignSignature,
  type FaultProxy,
  fallbackTag,
  fetchManifest,
  type ImageIndex,
  indexOf,
  ociArtifact,
  pushCosignTag,
  pushIndex,
  pushReferrer,
  type Referrer,
  type Registry,
  referrerDescriptor,
  skopeo,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runPolyarch } from "../support/process.ts";
import { amd64, arm64, json, polyarch, requestLog, through, writes } from "./support.ts";

// A signed, SBOM'd multi-arch image mirrored by sync arrives with its signature and SBOM, by either path:
// distribution 2.8 (this machine's registry) lacks the referrers API, so the tag-schema fallback is tested
// against it for real; the referrers API is served by the fault proxy's endpoint (`referrersApi: true`),
// which follows the distribution spec in front of the same registry.
let upstream: Registry;
let target: Registry;
/** Upstream and target as plain distribution 2.8: no referrers API. */
let up: FaultProxy;
let down: FaultProxy;
/** The same registries with the referrers API served in front. */
let upApi: FaultProxy;
let downApi: FaultProxy;
let work: TempDir;

/** One signed image per path: the index, its cosign signature, an SBOM of its amd64 child, a second artifact of the index. */
interface Signed {
  index: ImageIndex;
  signature: ReturnType<typeof cosignSignature>;
  sbom: Referrer;
  other: Referrer;
}

async function signedImage(proxy: FaultProxy, repo: string, seed: string): Promise<Signed> {
  const via = through(upstream, proxy);
  const images = [
    await syntheticImage({ platform: amd64, seed }),
    await syntheticImage({ platform: arm64, seed }),
  ];
  const index = indexOf(images);
  await pushIndex(via, repo, "1", index);
  const signature = cosignSignature(index.manifest.digest, `${upstream.host}/${repo}`);
  await pushCosignTag(via, repo, signature);
  const sbom = ociArtifact(images[0]!.descriptor);
  const other = ociArtifact(
    { mediaType: index.manifest.mediaType, digest: index.manifest.digest, size: index.manifest.size },
    { artifactType: "application/vnd.example.scan+json", content: `{"seed":"${seed}"}` },
  );
  await pushReferrer(via, repo, sbom);
  await pushReferrer(via, repo, other);
  return { index, signature, sbom, other };
}

let plain: Signed;
let viaApi: Signed;

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  [up, down, upApi, downApi] = await Promise.all([
    startFaultProxy(upstream.url),
    startFaultProxy(target.url),
    startFaultProxy(upstream.url, { referrersApi: true }),
    startFaultProxy(target.url, { referrersApi: true }),
  ]);
  work = await tempDir("polyarch-referrers-");
  plain = await signedImage(up, "signed/plain", "plain");
  viaApi = await signedImage(upApi, "signed/api", "api");
});
afterAll(async () => {
  await work?.remove();
  await Promise.all([up?.stop(), down?.stop(), upApi?.stop(), downApi?.stop()]);
  await Promise.all([upstream?.stop(), target?.stop()]);
});
beforeEach(() => {
  for (const proxy of [up, down, upApi, downApi]) proxy.reset();
});

async function runSync(name: string, images: string) {
  const file = join(work.path, `${name}.yaml`);
  await writeFile(file, `images:\n${images}`);
  const run = await polyarch(["sync", file, "--json"]);
  return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
}

const entry = (from: FaultProxy, repo: string, to: FaultProxy, targetRepo: string, extra = "") =>
  `  - source: ${from.host}/${repo}:1\n    target: ${to.host}/${targetRepo}\n${extra}`;

async function digestAt(repo: string, reference: string): Promise<string | undefined> {
  const fetched = await fetchManifest(target, repo, reference);
  return fetched.status === 200 ? fetched.digest : undefined;
}

async function referrersApiList(proxy: FaultProxy, repo: string, digest: string) {
  const response = await fetch(`${proxy.url}/v2/${repo}/referrers/${digest}`);
  return ((await response.json()) as { manifests: unknown[] }).manifests;
}

describe("sync carries referrers and cosign tags", () => {
  it("through the fallback tags: the signature tag, and each subject's sha256-<hex> index with its referrers, written before the tag", async () => {
    const run = await runSync("fallback", entry(up, "signed/plain", down, "mirror/plain"));
    expect(run.code).toBe(0);
    const item = run.report.items[0];
    expect(item.referrers).toMatchObject({
      source: "fallback-tag",
      target: "fallback-tag",
      found: { referrers: 2, tags: 1 },
      copied: { referrers: 2, tags: 1 },
    });
    expect(await digestAt("mirror/plain", plain.signature.tag)).toBe(plain.signature.manifest.digest);
    const sbomSubject = fallbackTag(plain.sbom.subject);
    expect(json((await fetchManifest(target, "mirror/plain", sbomSubject)).bytes).manifests).toEqual([
      referrerDescriptor(plain.sbom),
    ]);
    expect(
      json((await fetchManifest(target, "mirror/plain", fallbackTag(plain.index.manifest.digest))).bytes)
        .manifests,
    ).toEqual([referrerDescriptor(plain.other)]);
    // skopeo reads the fallback index polyarch wrote, and copies it with everything it lists.
    const fallbackRef = `${target.host}/mirror/plain:${sbomSubject}`;
    expect(await skopeoInspectRaw(fallbackRef)).toEqual(
      (await fetchManifest(target, "mirror/plain", sbomSubject)).bytes,
    );
    await skopeo([
      "copy",
      "--all",
      "--src-tls-verify=false",
      `docker://${fallbackRef}`,
      `oci:${work.path}/fallback-copy:1`,
    ]);
    // Write order: blobs, children by digest, referrers (and their fallback tags), the image's tag last.
    const puts = down.counter
      .filter({ method: "PUT", route: "manifest" })
      .map((r) => r.path.split("/manifests/")[1]);
    expect(puts.at(-1)).toBe("1");
    expect(puts.filter((reference) => reference === "1")).toHaveLength(1);
    const children = plain.index.images.map((i) => i.manifest.digest);
    const firstReferrer = puts.indexOf(plain.sbom.manifest.digest);
    expect(Math.max(...children.map((c) => puts.indexOf(c)))).toBeLessThan(firstReferrer);
    expect(puts.indexOf(plain.index.manifest.digest)).toBeLessThan(firstReferrer);
  });

  it("a no-op re-run writes nothing; referrers cost one listing request per registry and repository, and one GET per subject that has referrers", async () => {
    await runSync("noop-first", entry(up, "signed/plain", down, "mirror/noop"));
    up.reset();
    down.reset();
    const run = await runSync("noop", entry(up, "signed/plain", down, "mirror/noop"));
    expect(run.code).toBe(0);
    expect(run.report.items[0]).toMatchObject({
      action: "unchanged",
      referrers: { copied: { referrers: 0, tags: 0 } },
    });
    expect(writes(down)).toEqual([]);
    // Source: the HEAD of the image, one referrers probe (404: no API), one tag list, one GET per fallback
    // index, HEAD of the signature tag.
    expect(requestLog(up).sort()).toEqual(
      ["HEAD manifest", "GET referrers", "GET tags", "GET manifest", "GET manifest", "HEAD manifest"].sort(),
    );
    // Target: HEAD of the tag, GET of the index (its children are subjects), one probe, one GET per
    // fallback index, HEAD of the signature tag.
    expect(requestLog(down).sort()).toEqual(
      [
        "HEAD manifest",
        "GET manifest",
        "GET referrers",
        "GET manifest",
        "GET manifest",
        "HEAD manifest",
      ].sort(),
    );
  });

  it("through the referrers API on both sides: the target lists them through its API, and no fallback tag is written", async () => {
    const run = await runSync("api", entry(upApi, "signed/api", downApi, "mirror/api"));
    expect(run.code).toBe(0);
    expect(run.report.items[0].referrers).toMatchObject({
      source: "api",
      target: "api",
      copied: { referrers: 2, tags: 1 },
    });
    expect(await referrersApiList(downApi, "mirror/api", viaApi.sbom.subject)).toEqual([
      referrerDescriptor(viaApi.sbom),
    ]);
    expect(await digestAt("mirror/api", fallbackTag(viaApi.sbom.subject))).toBeUndefined();
    expect(await digestAt("mirror/api", viaApi.signature.tag)).toBe(viaApi.signature.manifest.digest);
  });

  it("from a registry with the API to one without: the target gets the fallback tags", async () => {
    const run = await runSync("api-to-plain", entry(upApi, "signed/api", down, "mirror/api-plain"));
    expect(run.code).toBe(0);
    expect(run.report.items[0].referrers).toMatchObject({ source: "api", target: "fallback-tag" });
    expect(
      json((await fetchManifest(target, "mirror/api-plain", fallbackTag(viaApi.sbom.subject))).bytes)
        .manifests,
    ).toEqual([referrerDescriptor(viaApi.sbom)]);
  });

  it("referrerFilters keeps the OCI referrers of the listed artifact types; referrers: false leaves everything behind", async () => {
    const filtered = await runSync(
      "filtered",
      entry(
        up,
        "signed/plain",
        down,
        "mirror/filtered",
        "    referrerFilters:\n      - artifactType: application/spdx+json\n",
      ),
    );
    expect(filtered.code).toBe(0);
    expect(await digestAt("mirror/filtered", plain.sbom.manifest.digest)).toBe(plain.sbom.manifest.digest);
    expect(await digestAt("mirror/filtered", plain.other.manifest.digest)).toBeUndefined();
    expect(await digestAt("mirror/filtered", fallbackTag(plain.index.manifest.digest))).toBeUndefined();

    up.reset();
    const off = await runSync("off", entry(up, "signed/plain", down, "mirror/off", "    referrers: false\n"));
    expect(off.code).toBe(0);
    expect(off.report.items[0].referrers).toBeUndefined();
    expect(await digestAt("mirror/off", "1")).toBe(plain.index.manifest.digest);
    expect(await digestAt("mirror/off", plain.signature.tag)).toBeUndefined();
    expect(up.counter.count({ route: "referrers" })).toBe(0);
  });

  it("a registry whose referrers endpoint answers with something that is not an index lacks the API: the fallback tags are used", async () => {
    // A catch-all page in front of a registry: 200, but HTML. The spec's client reads it as no API.
    downApi.inject({
      type: "status",
      status: 200,
      path: /\/referrers\//,
      headers: { "content-type": "text/html" },
      times: Number.POSITIVE_INFINITY,
    });
    const run = await runSync("html", entry(up, "signed/plain", downApi, "mirror/html"));
    expect(run.code).toBe(0);
    expect(run.report.items[0].referrers).toMatchObject({ target: "fallback-tag" });
    expect(
      json((await fetchManifest(target, "mirror/html", fallbackTag(plain.sbom.subject))).bytes).manifests,
    ).toEqual([referrerDescriptor(plain.sbom)]);
  });

  it("a registry that answers the referrers API with something that is not an index fails the item, and the tag is not written", async () => {
    downApi.inject({
      type: "status",
      status: 200,
      path: /\/referrers\//,
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
      times: Number.POSITIVE_INFINITY,
    });
    const run = await runSync("wrong", entry(up, "signed/plain", downApi, "mirror/wrong"));
    expect(run.code).toBe(1);
    expect(run.report.items[0].error.code).toBe("POLYARCH_E_REFERRERS_INVALID");
    expect(await digestAt("mirror/wrong", "1")).toBeUndefined();
  });

  it("a registry that refuses a referrer manifest (as ECR refuses some) fails the item naming it, and the tag is not written", async () => {
    down.inject({
      type: "status",
      status: 400,
      method: "PUT",
      path: new RegExp(`/manifests/${plain.sbom.manifest.digest}$`),
      errors: [{ code: "MANIFEST_INVALID", message: "unsupported artifact" }],
      times: Number.POSITIVE_INFINITY,
    });
    const run = await runSync("refused", entry(up, "signed/plain", down, "mirror/refused"));
    expect(run.code).toBe(1);
    expect(run.report.items[0].error.code).toBe("POLYARCH_E_REFERRER_REFUSED");
    expect(run.report.items[0].error.message).toContain(plain.sbom.subject);
    expect(await digestAt("mirror/refused", "1")).toBeUndefined();
  });

  it("polyarch mirror carries them too and says so; --referrer-type with --no-referrers is refused (exit 2)", async () => {
    const run = await polyarch(["mirror", `${up.host}/signed/plain:1`, `${down.host}/mirror/cli`]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "referrers: 2 of 2 copied (target lists them by fallback tags), 1 of 1 cosign tags",
    );
    expect(await digestAt("mirror/cli", plain.signature.tag)).toBe(plain.signature.manifest.digest);
    const file = join(work.path, "human.yaml");
    await writeFile(file, `images:\n${entry(up, "signed/plain", down, "mirror/human")}`);
    const synced = await polyarch(["sync", file]);
    expect(synced.code).toBe(0);
    expect(synced.stderr).toContain("referrers copied: 2 OCI referrers, 1 cosign tags");
    down.reset();
    const both = await polyarch([
      "mirror",
      "--no-referrers",
      "--referrer-type",
      "application/spdx+json",
      `${up.host}/signed/plain:1`,
      `${down.host}/mirror/cli-refused`,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--no-referrers");
    expect(writes(down)).toEqual([]);
  });

  it("through an oci: layout and back: the layout holds the signature and fallback tags as ref names", async () => {
    const layout = join(work.path, "airgap");
    const out = await polyarch(["mirror", `${up.host}/signed/plain:1`, `oci:${layout}:1`]);
    expect(out.code).toBe(0);
    const refs = (
      JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
        manifests: Array<{ annotations?: Record<string, string> }>;
      }
    ).manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]);
    expect(refs.sort()).toEqual(
      [
        "1",
        plain.signature.tag,
        fallbackTag(plain.sbom.subject),
        fallbackTag(plain.index.manifest.digest),
      ].sort(),
    );
    const back = await polyarch(["mirror", `oci:${layout}:1`, `${down.host}/mirror/from-layout`]);
    expect(back.code).toBe(0);
    expect(await digestAt("mirror/from-layout", plain.signature.tag)).toBe(plain.signature.manifest.digest);
    expect(
      json((await fetchManifest(target, "mirror/from-layout", fallbackTag(plain.sbom.subject))).bytes)
        .manifests,
    ).toEqual([referrerDescriptor(plain.sbom)]);
  });

  it("referrers of referrers come along too (a signature of the SBOM), each after its subject", async () => {
    const via = through(upstream, up);
    const image = await syntheticImage({ platform: amd64, seed: "nested" });
    await pushIndex(via, "signed/nested", "1", indexOf([image]));
    const sbom = ociArtifact(image.descriptor);
    const sbomSubject = {
      mediaType: sbom.manifest.mediaType,
      digest: sbom.manifest.digest,
      size: sbom.manifest.size,
    };
    const sbomSignature = ociArtifact(sbomSubject, {
      artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      content: '{"sig":"nested"}',
    });
    await pushReferrer(via, "signed/nested", sbom);
    await pushReferrer(via, "signed/nested", sbomSignature);

    const run = await runSync("nested", entry(up, "signed/nested", down, "mirror/nested"));
    expect(run.code).toBe(0);
    expect(run.report.items[0].referrers).toMatchObject({ copied: { referrers: 2 } });
    expect(
      json((await fetchManifest(target, "mirror/nested", fallbackTag(sbom.manifest.digest))).bytes).manifests,
    ).toEqual([referrerDescriptor(sbomSignature)]);
    const puts = down.counter
      .filter({ method: "PUT", route: "manifest" })
      .map((r) => r.path.split("/manifests/")[1]);
    expect(puts.indexOf(sbomSignature.manifest.digest)).toBeGreaterThan(puts.indexOf(sbom.manifest.digest));
    expect(puts.at(-1)).toBe("1");
  });

  it("what is published after the first run arrives with the next, whose images are unchanged: the copy as it is, and a platform-filtered copy known from its receipt", async () => {
    const via = through(upstream, up);
    const images = [
      await syntheticImage({ platform: amd64, seed: "later" }),
      await syntheticImage({ platform: arm64, seed: "later" }),
    ];
    const index = indexOf(images);
    await pushIndex(via, "signed/later", "1", index);
    const entries =
      entry(up, "signed/later", down, "mirror/later") +
      entry(up, "signed/later", down, "mirror/later-amd64", "    platforms: [linux/amd64]\n");
    const first = await runSync("later-first", entries);
    expect(first.report.counts).toMatchObject({ created: 2 });
    expect(first.report.items.map((item: { referrers: unknown }) => item.referrers)).toMatchObject([
      { found: { referrers: 0, tags: 0 } },
      { found: { referrers: 0, tags: 0 } },
    ]);

    const signature = cosignSignature(index.manifest.digest, `${upstream.host}/signed/later`);
    const sbom = ociArtifact(images[0]!.descriptor);
    const scan = ociArtifact(images[1]!.descriptor, {
      artifactType: "application/vnd.example.scan+json",
      content: '{"seed":"later"}',
    });
    await pushCosignTag(via, "signed/later", signature);
    await pushReferrer(via, "signed/later", sbom);
    await pushReferrer(via, "signed/later", scan);
    down.reset();
    const second = await runSync("later", entries);
    expect(second.code).toBe(0);
    // The filtered copy keeps amd64 alone, and its rebuilt index is not what the signature names.
    expect(second.report.items).toMatchObject([
      { action: "unchanged", referrers: { copied: { referrers: 2, tags: 1 } } },
      { action: "unchanged", referrers: { copied: { referrers: 1, tags: 0 } } },
    ]);
    expect(await digestAt("mirror/later", signature.tag)).toBe(signature.manifest.digest);
    expect(await digestAt("mirror/later-amd64", sbom.manifest.digest)).toBe(sbom.manifest.digest);
    expect(await digestAt("mirror/later-amd64", scan.manifest.digest)).toBeUndefined();
    const puts = down.counter
      .filter({ method: "PUT", route: "manifest" })
      .map((r) => r.path.split("/manifests/")[1]!);
    expect(puts.filter((name) => name === "1" || name.startsWith("1.polyarch-"))).toEqual([]);
  });

  it("the polyarch process reads referrers and referrerFilters from the spec's defaults; an unknown key there is refused (exit 2)", async () => {
    const file = join(work.path, "defaults.yaml");
    await writeFile(
      file,
      [
        "defaults:",
        "  referrerFilters: [{ artifactType: application/spdx+json }]",
        "images:",
        entry(up, "signed/plain", down, "mirror/defaults-filtered"),
        entry(up, "signed/plain", down, "mirror/defaults-off", "    referrers: false\n"),
      ].join("\n"),
    );
    const run = await runPolyarch(["sync", file, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).items.map((item: { referrers?: unknown }) => item.referrers)).toMatchObject(
      [{ found: { referrers: 1, tags: 1 }, copied: { referrers: 1, tags: 1 } }, undefined],
    );
    expect(await digestAt("mirror/defaults-filtered", plain.sbom.manifest.digest)).toBe(
      plain.sbom.manifest.digest,
    );
    expect(await digestAt("mirror/defaults-filtered", plain.other.manifest.digest)).toBeUndefined();
    expect(await digestAt("mirror/defaults-off", "1")).toBe(plain.index.manifest.digest);
    expect(await digestAt("mirror/defaults-off", plain.signature.tag)).toBeUndefined();

    down.reset();
    const typo = join(work.path, "defaults-typo.yaml");
    await writeFile(
      typo,
      [
        "defaults:",
        "  referrer: false",
        "images:",
        entry(up, "signed/plain", down, "mirror/defaults-typo"),
      ].join("\n"),
    );
    const bad = await runPolyarch(["sync", typo]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('defaults.referrer: unknown key; did you mean "referrers"?');
    expect(down.counter.requests).toEqual([]);
  });
});
