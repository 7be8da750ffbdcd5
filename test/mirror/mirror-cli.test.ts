import { join } from "node:path";
import {
  type FaultProxy,
  fetchManifest,
  type ImageIndex,
  indexOf,
  pushIndex,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { amd64, arm64, json, polyarch, s390x, writes } from "./support.ts";

let registry: Registry;
let proxy: FaultProxy;
let work: TempDir;
let index: ImageIndex;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  work = await tempDir("polyarch-mirror-cli-");
  index = indexOf([
    await syntheticImage({ platform: amd64, seed: "cli" }),
    await syntheticImage({ platform: arm64, seed: "cli" }),
    await syntheticImage({ platform: s390x, seed: "cli" }),
  ]);
  await pushIndex(registry, "upstream/tool", "2.1", index);
});
afterAll(async () => {
  await work?.remove();
  await proxy?.stop();
  await registry?.stop();
});
beforeEach(() => proxy.reset());

describe("polyarch mirror", () => {
  it("prints REPO@DIGEST on stdout, what happened on stderr, and keeps the source's tag", async () => {
    const run = await polyarch(["mirror", `${proxy.host}/upstream/tool:2.1`, `${proxy.host}/mirror/tool`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${proxy.host}/mirror/tool@${index.manifest.digest}\n`);
    expect(run.stderr).toContain(`created: ${proxy.host}/mirror/tool:2.1 (${index.manifest.digest})`);
    expect(run.stderr).not.toContain("\x1b[");
    expect(sha256Digest((await fetchManifest(registry, "mirror/tool", "2.1")).bytes)).toBe(
      index.manifest.digest,
    );
  });

  it("--platforms says the index was rebuilt and its digest changed; --json reports it", async () => {
    const run = await polyarch([
      "mirror",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--json",
      `${proxy.host}/upstream/tool:2.1`,
      `${proxy.host}/filtered/tool:stable`,
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      action: "created",
      target: `${proxy.host}/filtered/tool:stable`,
      sourceDigest: index.manifest.digest,
      rebuilt: { kept: ["linux/amd64", "linux/arm64"], dropped: ["linux/s390x"] },
    });
    expect(report.digest).not.toBe(index.manifest.digest);
    expect(report.reference).toBe(`${proxy.host}/filtered/tool@${report.digest}`);
    const stored = await fetchManifest(registry, "filtered/tool", "stable");
    expect(sha256Digest(stored.bytes)).toBe(report.digest);

    const human = await polyarch([
      "mirror",
      "--platforms",
      "linux/amd64",
      `${proxy.host}/upstream/tool:2.1`,
      `${proxy.host}/filtered/tool:amd64`,
    ]);
    expect(human.stderr).toContain(
      `index rebuilt without linux/arm64, linux/s390x: its digest changed from ${index.manifest.digest}`,
    );
  });

  it("shows progress on a TTY", async () => {
    const run = await polyarch(
      ["mirror", `${proxy.host}/upstream/tool:2.1`, `oci:${join(work.path, "tty")}:tool`],
      { tty: true },
    );
    expect(run.code).toBe(0);
    // 3 configs and 3 layers, counted as they finish, then the line is cleared.
    expect(run.stderr).toContain("\r\x1b[Kblobs 0/6");
    expect(run.stderr).toContain("\r\x1b[Kblobs 6/6");
    expect(sha256Digest(await skopeoInspectRaw(`oci:${join(work.path, "tty")}:tool`))).toBe(
      index.manifest.digest,
    );
  });

  it("--dry-run writes nothing and says what it would do", async () => {
    const run = await polyarch([
      "mirror",
      "--dry-run",
      `${proxy.host}/upstream/tool:2.1`,
      `${proxy.host}/dry/tool`,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`would create: ${proxy.host}/dry/tool:2.1`);
    expect(writes(proxy)).toEqual([]);
  });

  it("copies a layout back to a registry under a new tag", async () => {
    const dir = join(work.path, "roundtrip");
    expect((await polyarch(["mirror", `${proxy.host}/upstream/tool:2.1`, `oci:${dir}:t`])).code).toBe(0);
    const back = await polyarch([
      "mirror",
      `oci:${dir}:t`,
      `${proxy.host}/restored/tool:2.1-airgap`,
      "--json",
    ]);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout).digest).toBe(index.manifest.digest);
    const stored = json((await fetchManifest(registry, "restored/tool", "2.1-airgap")).bytes);
    expect(stored.manifests).toHaveLength(3);
  });

  it("exits 2 for bad input and 1 when the source does not exist", async () => {
    const bad = await polyarch(["mirror", "--platforms", "linux", `${proxy.host}/upstream/tool:2.1`, "x/y"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"linux" is not a platform');
    const digestTarget = await polyarch([
      "mirror",
      `${proxy.host}/upstream/tool:2.1`,
      `${proxy.host}/x/y@${index.manifest.digest}`,
    ]);
    expect(digestTarget.code).toBe(2);
    const missing = await polyarch(["mirror", `${proxy.host}/upstream/none:1`, `${proxy.host}/x/y`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${proxy.host}/upstream/none:1 does not exist`);
  });
});
