// manifest-tool's own spec files, pointed at a harness registry and otherwise unchanged. Their text is
// adapted from github.com/estesp/manifest-tool: hack/pushml.yaml (hack/pushml-pre.yaml is the same
// without `tags`, hack/pushml-alpine.yaml the same shape with alpine_ tags), integration/test-registry.yml
// and integration/test-registry-tag.yml (`__REGISTRY__` replaced as integration/test-registry.sh does).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  attestationFor,
  fetchManifest,
  indexOf,
  mediaTypes,
  type Platform,
  pushIndex,
  type Registry,
  sha256Digest,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch, pushSynthetic } from "./support.ts";

let registry: Registry;
let reg: string;
let work: TempDir;

const linux = (architecture: string, variant?: string): Platform => ({
  os: "linux",
  architecture,
  ...(variant && { variant }),
});

/** hack/pushml.yaml's images: tag suffix → the platform the image's config states. */
const PUSHML: Array<[string, Platform]> = [
  ["linux_ppc64le", linux("ppc64le")],
  ["linux_amd64", linux("amd64")],
  ["linux_i386", linux("386")],
  ["linux_s390x", linux("s390x")],
  ["linux_riscv64", linux("riscv64")],
  ["linux_arm64", linux("arm64")],
  ["linux_arm_v7", linux("arm", "v7")],
  ["linux_arm_v6", linux("arm", "v6")],
  ["win2019", { os: "windows", architecture: "amd64", "os.version": "10.0.17763.6414" }],
  ["win2016", { os: "windows", architecture: "amd64", "os.version": "10.0.14393.7428" }],
];

const pushml = (tags: boolean) => `image: ${reg}/mplatform/manifest-tool:2.1.0
${tags ? 'tags: [ "latest" ]\n' : ""}manifests:
  -
    image: ${reg}/mplatform/manifest-tool:linux_ppc64le_2.1.0
    platform:
      architecture: ppc64le
      os: linux
  -
    image: ${reg}/mplatform/manifest-tool:linux_amd64_2.1.0
    platform:
      architecture: amd64
      os: linux
  -
    image: ${reg}/mplatform/manifest-tool:linux_i386_2.1.0
    platform:
      architecture: 386
      os: linux
  -
    image: ${reg}/mplatform/manifest-tool:linux_s390x_2.1.0
    platform:
      architecture: s390x
      os: linux
  -
    image: ${reg}/mplatform/manifest-tool:linux_riscv64_2.1.0
    platform:
      architecture: riscv64
      os: linux
  -
    image: ${reg}/mplatform/manifest-tool:linux_arm64_2.1.0
    platform:
      architecture: arm64
      os: linux
      variant: v8
  -
    image: ${reg}/mplatform/manifest-tool:linux_arm_v7_2.1.0
    platform:
      architecture: arm
      os: linux
      variant: v7
  -
    image: ${reg}/mplatform/manifest-tool:linux_arm_v6_2.1.0
    platform:
      architecture: arm
      os: linux
      variant: v6
  -
    image: ${reg}/mplatform/manifest-tool:win2019_2.1.0
    platform:
      architecture: amd64
      os: windows
  -
    image: ${reg}/mplatform/manifest-tool:win2016_2.1.0
    platform:
      architecture: amd64
      os: windows
`;

const testRegistry = (prefix: string) => `image: ${prefix}/alpine:latest
annotations:
  org.opencontainers.image.title: My Image Title
  org.opencontainers.image.description: My image description.
  org.opencontainers.image.authors: Fred Flintstone
  org.opencontainers.image.source: https://github.com/estesp/manifest-tool
  org.opencontainers.image.licenses: Apache-2.0
manifests: 
  - 
    image: ${prefix}/ppc64le_alpine:latest
    platform: 
      architecture: ppc64le
      os: linux
  - 
    image: ${prefix}/amd64_alpine:latest
    platform: 
      architecture: amd64
      os: linux
  - 
    image: ${prefix}/s390x_alpine:latest
    platform: 
      architecture: s390x
      os: linux
  - 
    image: ${prefix}/aarch64_alpine:latest
    platform: 
      architecture: arm64
      os: linux
      variant: v8
`;

const testRegistryTag = (repo: string) => `image: ${repo}:latest
manifests:
  -
    image: ${repo}:ppc64le_alpine_latest
    platform:
      architecture: ppc64le
      os: linux
  -
    image: ${repo}:amd64_alpine_latest
    platform:
      architecture: amd64
      os: linux
  -
    image: ${repo}:s390x_alpine_latest
    platform:
      architecture: s390x
      os: linux
  -
    image: ${repo}:aarch64_alpine_latest
    platform:
      architecture: arm64
      os: linux
      variant: v8
`;

/** alpine's per-architecture images as test-registry.sh pushes them; their configs state these. */
const ALPINE: Array<[string, Platform]> = [
  ["ppc64le", linux("ppc64le")],
  ["amd64", linux("amd64")],
  ["s390x", linux("s390x")],
  ["aarch64", linux("arm64", "v8")],
];

async function specFile(name: string, text: string): Promise<string> {
  const file = join(work.path, name);
  await writeFile(file, text);
  return file;
}

async function listed(repo: string, tag: string) {
  const fetched = await fetchManifest(registry, repo, tag);
  expect(fetched.status).toBe(200);
  return JSON.parse(Buffer.from(fetched.bytes).toString("utf8")) as {
    mediaType: string;
    manifests: Array<{ digest: string; platform: Platform }>;
    annotations?: Record<string, string>;
  };
}

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  work = await tempDir("polyarch-mt-specs-");
  for (const [name, platform] of PUSHML) {
    await pushSynthetic(registry, "mplatform/manifest-tool", `${name}_2.1.0`, {
      platform,
      seed: name,
      format: "docker",
    });
  }
  for (const [arch, platform] of ALPINE) {
    await pushSynthetic(registry, `mt/${arch}_alpine`, "latest", { platform, seed: arch, format: "docker" });
    await pushSynthetic(registry, "mt/tagged", `${arch}_alpine_latest`, {
      platform,
      seed: arch,
      format: "docker",
    });
  }
});
afterAll(async () => {
  await work?.remove();
  await registry?.stop();
});

describe("manifest-tool's own spec files", () => {
  it("hack/pushml.yaml: ten entries as stated (386 a string, arm64/v8 kept), two Windows builds told apart, tagged latest", async () => {
    const run = await polyarch(["push", "from-spec", await specFile("pushml.yaml", pushml(true))]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const list = await listed("mplatform/manifest-tool", "2.1.0");
    expect(list.mediaType).toBe(mediaTypes.dockerList);
    expect(list.manifests.map((m) => m.platform)).toEqual([
      { architecture: "ppc64le", os: "linux" },
      { architecture: "amd64", os: "linux" },
      { architecture: "386", os: "linux" },
      { architecture: "s390x", os: "linux" },
      { architecture: "riscv64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
      { architecture: "arm", os: "linux", variant: "v7" },
      { architecture: "arm", os: "linux", variant: "v6" },
      { architecture: "amd64", os: "windows", "os.version": "10.0.17763.6414" },
      { architecture: "amd64", os: "windows", "os.version": "10.0.14393.7428" },
    ]);
    const latest = await fetchManifest(registry, "mplatform/manifest-tool", "latest");
    expect(run.stdout).toBe(`Digest: ${sha256Digest(latest.bytes)} ${latest.bytes.length}
`);
  });

  it("hack/pushml-pre.yaml (no tags) gives the same list and writes no latest tag", async () => {
    const fresh = pushml(false).replaceAll("manifest-tool:2.1.0", "manifest-tool:pre");
    const run = await polyarch(["push", "from-spec", await specFile("pushml-pre.yaml", fresh)]);
    expect(run.code).toBe(0);
    expect((await listed("mplatform/manifest-tool", "pre")).manifests).toHaveLength(10);
  });

  it("integration/test-registry.yml has annotations: refused under the default type, as manifest-tool refuses it", async () => {
    const file = await specFile("test-registry.yaml", testRegistry(`${reg}/mt`));
    // integration/test-registry.sh runs exactly this: manifest-tool --debug push from-spec test-registry.yaml
    const before = await fetchManifest(registry, "mt/alpine", "latest");
    const run = await polyarch(["--debug", "push", "from-spec", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("has no annotations");
    expect(run.stderr).toContain("--type oci");
    const after = await fetchManifest(registry, "mt/alpine", "latest");
    expect(after.status).toBe(before.status);
    expect(Buffer.from(after.bytes).equals(Buffer.from(before.bytes))).toBe(true);
  });

  it("integration/test-registry.yml with --type oci (any case): an OCI index with its annotations", async () => {
    const file = await specFile("test-registry-oci.yaml", testRegistry(`${reg}/mt`));
    const run = await polyarch(["push", "--type", "OCI", "from-spec", file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const index = await listed("mt/alpine", "latest");
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.annotations).toMatchObject({
      "org.opencontainers.image.authors": "Fred Flintstone",
      "org.opencontainers.image.licenses": "Apache-2.0",
    });
    expect(index.manifests.map((m) => m.platform)).toEqual([
      { architecture: "ppc64le", os: "linux" },
      { architecture: "amd64", os: "linux" },
      { architecture: "s390x", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ]);
  });

  it("integration/test-registry-tag.yml: sources and target as tags of one repository", async () => {
    const run = await polyarch([
      "push",
      "from-spec",
      await specFile("tag.yaml", testRegistryTag(`${reg}/mt/tagged`)),
    ]);
    expect(run.code).toBe(0);
    const list = await listed("mt/tagged", "latest");
    expect(list.mediaType).toBe(mediaTypes.dockerList);
    expect(list.manifests).toHaveLength(4);
  });

  it("an unknown key is refused, saying manifest-tool ignores it and --ignore-unknown-keys does too", async () => {
    const typo = pushml(false)
      .replace("manifests:", "tag: [extra]\nmanifests:")
      .replaceAll(":2.1.0\n", ":typo\n");
    const file = await specFile("typo.yaml", typo);
    const refused = await polyarch(["push", "from-spec", file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('tag: unknown key; did you mean "tags"?');
    expect(refused.stderr).toContain("manifest-tool would have ignored an unknown key");
    const run = await polyarch(["push", "from-spec", "--ignore-unknown-keys", file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: ${file}: tag: unknown key`);
    expect((await listed("mplatform/manifest-tool", "typo")).manifests).toHaveLength(10);
  });
});

describe("index sources", () => {
  it("push lists every child of an index source and its attestations, as manifest-tool does; merge refuses to guess", async () => {
    const amd = await syntheticImage({ platform: linux("amd64"), seed: "idx" });
    const arm = await syntheticImage({ platform: linux("arm64"), seed: "idx" });
    const attestation = await attestationFor(amd);
    await pushIndex(registry, "multi/src", "1", indexOf([amd, arm, attestation]));
    const spec = await specFile(
      "index-source.yaml",
      `image: ${reg}/multi/app:1\nmanifests:\n  - image: ${reg}/multi/src:1\n`,
    );
    const pushed = await polyarch(["push", "--type", "oci", "from-spec", spec]);
    expect(pushed.stderr).toBe("");
    expect(pushed.code).toBe(0);
    const index = await listed("multi/app", "1");
    expect(index.manifests.map((m) => m.digest)).toEqual([
      amd.manifest.digest,
      arm.manifest.digest,
      attestation.manifest.digest,
    ]);
    const merged = await polyarch(["merge", "--spec", spec, "--target", `${reg}/multi/app:merged`]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain("polyarch cannot tell which one to merge");
  });
});
