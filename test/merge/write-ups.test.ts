// The command lines of the two practitioners' write-ups (/work/shared/background), run unchanged
// except for the registry, which is a harness registry with Basic auth.
import {
  busyboxImage,
  fetchManifest,
  type Image,
  mediaTypes,
  pushImage,
  type Registry,
  sha256Digest,
  startRegistry,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, polyarch, pushSynthetic } from "./support.ts";

let registry: Registry;
let reg: string;
let helper: { amd64: Image; arm64: Image };

const index = async (repo: string, tag: string) => {
  const fetched = await fetchManifest(registry, repo, tag);
  return JSON.parse(Buffer.from(fetched.bytes).toString("utf8"));
};

beforeAll(async () => {
  registry = await startRegistry({ auth: "basic", username: "username", password: "password" });
  reg = registry.host;
  // 002: upstream's arm64 helper image says linux/amd64 in its config; its binaries are arm64.
  helper = {
    amd64: await busyboxImage({ arch: "amd64", applets: ["sh"], format: "docker" }),
    arm64: await busyboxImage({ arch: "arm64", applets: ["sh"], labelAs: amd64, format: "docker" }),
  };
  await pushImage(registry, "gitlab-runner-helper-amd64", "alpine3.13-bleeding", helper.amd64);
  await pushImage(registry, "gitlab-runner-helper-arm64", "alpine3.13-bleeding", helper.arm64);
});
afterAll(async () => {
  await registry?.stop();
});

// ./manifest-tool --username username --password password push from-args
//   --platforms linux/amd64,linux/arm64
//   --template registry/gitlab-runner-helper-ARCH:alpine3.13-bleeding
//   --target registry/gitlab-runner-helper:alpine3.13-bleeding
const LOGIN = ["--username", "username", "--password", "password"];
const helperCommand = () => [
  ...LOGIN,
  "push",
  "from-args",
  "--platforms",
  "linux/amd64,linux/arm64",
  "--template",
  `${reg}/gitlab-runner-helper-ARCH:alpine3.13-bleeding`,
  "--target",
  `${reg}/gitlab-runner-helper:alpine3.13-bleeding`,
];

describe("002: stitching upstream's mislabelled helper images", () => {
  it("succeeds as with manifest-tool (the stated platform wins), warning that the arm64 image's config is mislabelled", async () => {
    const run = await polyarch(helperCommand());
    expect(run.code).toBe(0);
    const fetched = await fetchManifest(registry, "gitlab-runner-helper", "alpine3.13-bleeding");
    const digest = sha256Digest(fetched.bytes);
    expect(run.stdout).toBe(`Digest: ${digest} ${fetched.bytes.length}\n`);
    const list = JSON.parse(Buffer.from(fetched.bytes).toString("utf8"));
    expect(list.mediaType).toBe(mediaTypes.dockerList);
    expect(list.manifests.map((m: { digest: string; platform: unknown }) => [m.digest, m.platform])).toEqual([
      [helper.amd64.manifest.digest, { architecture: "amd64", os: "linux" }],
      [helper.arm64.manifest.digest, { architecture: "arm64", os: "linux" }],
    ]);
    const arm = `${reg}/gitlab-runner-helper-arm64:alpine3.13-bleeding`;
    expect(run.stderr).toContain(`warning: ${arm} is labelled linux/amd64, but its executables are arm64`);
    expect(run.stderr).toContain("--fix-platform");
    expect(run.stderr).not.toContain("gitlab-runner-helper-amd64");
  });

  it("--fix-platform lists a relabelled copy whose config says linux/arm64, and leaves upstream's image alone", async () => {
    const run = await polyarch([
      ...helperCommand().slice(0, -1),
      `${reg}/gitlab-runner-helper:fixed`,
      "--fix-platform",
    ]);
    expect(run.code).toBe(0);
    const list = await index("gitlab-runner-helper", "fixed");
    const [first, second] = list.manifests;
    expect(first.digest).toBe(helper.amd64.manifest.digest);
    expect(second.digest).not.toBe(helper.arm64.manifest.digest);
    expect(second.platform).toEqual({ architecture: "arm64", os: "linux" });
    const copy = await index("gitlab-runner-helper", second.digest);
    expect(copy.layers).toEqual(JSON.parse(helper.arm64.manifest.bytes.toString()).layers);
    const config = await fetchBlob(copy.config.digest);
    expect(config).toMatchObject({ architecture: "arm64", os: "linux" });
    expect(run.stderr).toContain(`relabelled linux/arm64 (${second.digest})`);
    // The upstream image is unchanged.
    expect((await fetchManifest(registry, "gitlab-runner-helper-arm64", "alpine3.13-bleeding")).status).toBe(
      200,
    );
    const upstream = await index("gitlab-runner-helper-arm64", "alpine3.13-bleeding");
    expect(upstream.config.digest).toBe(helper.arm64.config.digest);
  });

  it("fails when the binaries agree with the config: the wrong image was named (push and merge)", async () => {
    // arm64 binaries, config arm64, pushed where the amd64 image should be.
    await pushImage(registry, "wrong-amd64", "1", await busyboxImage({ arch: "arm64" }));
    await pushImage(registry, "wrong-arm64", "1", helper.amd64);
    for (const command of [
      ["--username", "username", "--password", "password", "push", "from-args"],
      ["merge", "--username", "username", "--password", "password"],
    ]) {
      const run = await polyarch([
        ...command,
        "--platforms",
        "linux/amd64,linux/arm64",
        "--template",
        `${reg}/wrong-ARCH:1`,
        "--target",
        `${reg}/wrong:1`,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `polyarch: ${reg}/wrong-amd64:1 is merged as linux/amd64 but its config says linux/arm64; its binaries agree with the config`,
      );
      expect(run.stderr).toContain("hint: the wrong image was named");
      expect((await fetchManifest(registry, "wrong", "1")).status).toBe(404);
    }
  });

  it("without binaries to judge, push follows manifest-tool and merge refuses, both saying why", async () => {
    await pushSynthetic(registry, "bare-amd64", "1", { platform: amd64, seed: "bare" });
    await pushSynthetic(registry, "bare-arm64", "1", { platform: amd64, seed: "bare-arm" });
    const args = ["--platforms", "linux/amd64,linux/arm64", "--template", `${reg}/bare-ARCH:1`];
    const creds = ["--username", "username", "--password", "password"];
    const merged = await polyarch(["merge", ...creds, ...args, "--target", `${reg}/bare:merge`]);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain(
      `${reg}/bare-arm64:1 is merged as linux/arm64 but its config says linux/amd64, and it has no ELF binaries to tell which is right`,
    );
    expect(merged.stderr).toContain("`polyarch push` (manifest-tool's rules) would merge it as stated");
    const pushed = await polyarch([...creds, "push", "from-args", ...args, "--target", `${reg}/bare:push`]);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain(
      `warning: ${reg}/bare-arm64:1: its config says linux/amd64, not linux/arm64, and it has no ELF binaries to tell which is right; merged as linux/arm64, as manifest-tool does`,
    );
    const list = await index("bare", "push");
    expect(
      list.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(["amd64", "arm64"]);
  });

  it("the write-up's second command (--tags, no --template) fails as manifest-tool does: --template is required", async () => {
    // ./manifest-tool --username "${CI_REGISTRY_USER}" --password "${CI_REGISTRY_PASSWORD}" push from-args
    //   --platforms linux/amd64,linux/arm64 --tags ${IMAGE_TAG} --target ${CI_REGISTRY_URL}/${IMAGE_NAME}:latest
    // Another test of this file pushes php:latest for real: whatever it holds now must not change.
    const state = async () => {
      const fetched = await fetchManifest(registry, "php", "latest");
      return {
        status: fetched.status,
        digest: fetched.status === 200 ? sha256Digest(fetched.bytes) : undefined,
      };
    };
    const before = await state();
    const run = await polyarch([
      ...LOGIN,
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--tags",
      "8.2-fpm-alpine",
      "--target",
      `${reg}/php:latest`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--template");
    expect(await state()).toEqual(before);
  });

  it("with --template added, --tags puts the extra tag on the same list", async () => {
    await pushDocker("php-amd64", "8.2-fpm-alpine", amd64, "php");
    await pushDocker("php-arm64", "8.2-fpm-alpine", arm64, "php");
    const run = await polyarch([
      ...LOGIN,
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${reg}/php-ARCH:8.2-fpm-alpine`,
      "--tags",
      "8.2-fpm-alpine",
      "--target",
      `${reg}/php:latest`,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const latest = await fetchManifest(registry, "php", "latest");
    const tagged = await fetchManifest(registry, "php", "8.2-fpm-alpine");
    expect(Buffer.from(tagged.bytes).equals(Buffer.from(latest.bytes))).toBe(true);
    expect(run.stdout).toMatch(new RegExp(`^Digest: sha256:[0-9a-f]{64} ${latest.bytes.length}\\n$`));
  });
});

describe("000: Kaniko per-architecture images merged by commit", () => {
  it("manifest-tool push from-args --template REG/image:ARCH-SHA --target REG/image:SHA gives a Docker list of both", async () => {
    // Kaniko pushes Docker manifests.
    const built = [
      await pushDocker("image", "amd64-a1b2c3d4", amd64, "kaniko"),
      await pushDocker("image", "arm64-a1b2c3d4", arm64, "kaniko"),
    ];
    // The write-up's job logs in through its docker config, not flags.
    const run = await polyarch(
      [
        "push",
        "from-args",
        "--platforms",
        "linux/amd64,linux/arm64",
        "--template",
        `${reg}/image:ARCH-a1b2c3d4`,
        "--target",
        `${reg}/image:a1b2c3d4`,
      ],
      { env: { CI_REGISTRY: reg, CI_REGISTRY_USER: "username", CI_REGISTRY_PASSWORD: "password" } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const list = await index("image", "a1b2c3d4");
    expect(list.mediaType).toBe(mediaTypes.dockerList);
    expect(list.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      built.map((b) => b.manifest.digest),
    );
  });
});

/** A Docker-format synthetic image, as Kaniko and `docker push` write them. */
function pushDocker(repo: string, tag: string, platform: typeof amd64, seed: string) {
  return pushSynthetic(registry, repo, tag, { platform, seed, format: "docker" });
}

async function fetchBlob(digest: string): Promise<unknown> {
  const auth = Buffer.from("username:password").toString("base64");
  const response = await fetch(`${registry.url}/v2/gitlab-runner-helper/blobs/${digest}`, {
    headers: { authorization: `Basic ${auth}` },
  });
  return response.json();
}
