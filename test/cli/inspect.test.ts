import {
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  skopeo,
  skopeoInspectRaw,
  startRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";

let upstream: Registry;
let local: Registry;
let locked: Registry;

beforeAll(async () => {
  [upstream, local, locked] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry({ auth: "basic", username: "alice", password: "s3cret-Passw0rd" }),
  ]);
  const amd64 = await syntheticImage({
    platform: { os: "linux", architecture: "amd64" },
    layers: 2,
    seed: 1,
  });
  const arm64 = await syntheticImage({
    platform: { os: "linux", architecture: "arm64" },
    layers: 2,
    seed: 2,
  });
  await pushIndex(upstream, "app", "1.0", indexOf([amd64, arm64]));
  // The image under test is one skopeo pushed: an independent client wrote every byte.
  await skopeo(["copy", "--all", `docker://${upstream.host}/app:1.0`, `docker://${local.host}/team/app:1.0`]);
  await pushImage(locked, "private/app", "1.0", amd64);
});

afterAll(async () => {
  await Promise.all([upstream?.stop(), local?.stop(), locked?.stop()]);
});

describe("polyarch inspect", () => {
  it("shows the platforms and digests skopeo sees in an index skopeo pushed", async () => {
    const raw = JSON.parse((await skopeoInspectRaw(`${local.host}/team/app:1.0`)).toString()) as {
      manifests: Array<{ digest: string; size: number; platform: { os: string; architecture: string } }>;
    };
    const run = await polyarch(["inspect", "--json", `${local.host}/team/app:1.0`]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      kind: string;
      manifests: Array<{ platform: string; digest: string; size: number }>;
    };
    expect(result.kind).toBe("index");
    expect(result.manifests).toEqual(
      raw.manifests.map((m) => ({
        platform: `${m.platform.os}/${m.platform.architecture}`,
        digest: m.digest,
        size: m.size,
        mediaType: expect.any(String),
      })),
    );

    const tree = await polyarch(["inspect", `${local.host}/team/app:1.0`]);
    for (const m of raw.manifests) expect(tree.stdout).toContain(m.digest);
    expect(tree.stdout).toMatch(/├── linux\/amd64/);
    expect(tree.stdout).toMatch(/└── linux\/arm64/);
  });

  it("prints the manifest bytes exactly as stored with --raw", async () => {
    const run = await polyarch(["inspect", "--raw", `${local.host}/team/app:1.0`]);
    expect(run.code).toBe(0);
    expect(run.stdoutBytes.equals(await skopeoInspectRaw(`${local.host}/team/app:1.0`))).toBe(true);
  });

  it("selects one child with --platform and shows its config and layers", async () => {
    const raw = JSON.parse((await skopeoInspectRaw(`${local.host}/team/app:1.0`)).toString()) as {
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    };
    const arm64 = raw.manifests.find((m) => m.platform.architecture === "arm64");
    const child = JSON.parse(
      (await skopeoInspectRaw(`${local.host}/team/app@${arm64?.digest}`)).toString(),
    ) as {
      config: { digest: string };
      layers: unknown[];
    };
    const run = await polyarch([
      "inspect",
      "--json",
      "--platform",
      "linux/aarch64",
      `${local.host}/team/app:1.0`,
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      kind: string;
      platform: string;
      digest: string;
      config: { digest: string };
      layers: unknown[];
    };
    expect(result).toMatchObject({
      kind: "image",
      platform: "linux/arm64",
      digest: arm64?.digest,
      config: { digest: child.config.digest },
    });
    expect(result.layers).toHaveLength(child.layers.length);
  });

  it("--platform linux/amd64 is the baseline child, not the amd64/v3 one listed first; v3 is named", async () => {
    const image = (variant: string | undefined, seed: number) =>
      syntheticImage({ platform: { os: "linux", architecture: "amd64", ...(variant && { variant }) }, seed });
    const [v3, baseline] = await Promise.all([image("v3", 3), image(undefined, 4)]);
    await pushIndex(local, "team/levels", "1.0", indexOf([v3, baseline]));
    const digestFor = async (platform: string) => {
      const run = await polyarch([
        "inspect",
        "--json",
        "--platform",
        platform,
        `${local.host}/team/levels:1.0`,
      ]);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { digest: string }).digest;
    };
    expect(await digestFor("linux/amd64")).toBe(baseline.manifest.digest);
    expect(await digestFor("linux/amd64/v3")).toBe(v3.manifest.digest);
    const missing = await polyarch([
      "inspect",
      "--platform",
      "linux/amd64/v2",
      `${local.host}/team/levels:1.0`,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("has no image for linux/amd64/v2");
  });

  it("names the missing platform and what the index holds", async () => {
    const run = await polyarch(["inspect", "--platform", "linux/s390x", `${local.host}/team/app:1.0`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("has no image for linux/s390x");
    expect(run.stderr).toContain("linux/amd64, linux/arm64");
  });

  it("gives a one-line error without the password when the password is wrong", async () => {
    const password = "wr0ng-Password-42";
    const run = await polyarch([
      "inspect",
      "--username",
      "alice",
      "--password",
      password,
      `${locked.host}/private/app:1.0`,
    ]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^polyarch: .*401/);
    expect(lines.filter((l) => l.startsWith("polyarch:"))).toHaveLength(1);
    expect(run.stderr).not.toContain(password);
    expect(run.stderr).not.toContain(Buffer.from(`alice:${password}`).toString("base64"));
    expect(run.stdout).toBe("");
  });

  it("reads with the right password, given by flag or by POLYARCH_PASSWORD", async () => {
    const byFlag = await polyarch([
      "inspect",
      "--json",
      "--username",
      "alice",
      "--password",
      "s3cret-Passw0rd",
      `${locked.host}/private/app:1.0`,
    ]);
    expect(byFlag.code).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ kind: "image", platform: "linux/amd64" });
    const byEnv = await polyarch(["inspect", "--username", "alice", `${locked.host}/private/app:1.0`], {
      env: { POLYARCH_PASSWORD: "s3cret-Passw0rd" },
    });
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toContain("linux/amd64");
  });

  it.each([["Not/A Reference"], ["registry.example.com/app@sha256:1234"], ["app:-tag"]])(
    "exits 2 on the nonsense reference %j, naming it and the valid forms",
    async (reference) => {
      const run = await polyarch(["inspect", reference]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(JSON.stringify(reference));
      expect(run.stderr).toContain("hint: use [registry[:port]/]repository[:tag]");
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it("exits 2 on a malformed platform", async () => {
    const run = await polyarch(["inspect", "--platform", "arm64", `${local.host}/team/app:1.0`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"arm64" is not a platform');
  });
});
