import {
  busyboxImage,
  type FaultProxy,
  fetchManifest,
  type Image,
  pushImage,
  type Registry,
  startFaultProxy,
  startRegistry,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, polyarch, through, writes } from "./support.ts";

let registry: Registry;
let proxy: FaultProxy;
let host: string;
let real: { amd64: Image; arm64: Image };
let mislabelled: Image;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  host = proxy.host;
  const via = through(registry, proxy);
  real = {
    amd64: await busyboxImage({ arch: "amd64", applets: ["sh"] }),
    arm64: await busyboxImage({ arch: "arm64", applets: ["sh"] }),
  };
  // An arm64 binary in an image whose config says amd64: what a cache shared across runners produces.
  mislabelled = await busyboxImage({ arch: "arm64", labelAs: amd64 });
  await pushImage(via, "tools/busybox", "amd64", real.amd64);
  await pushImage(via, "tools/busybox", "arm64", real.arm64);
  await pushImage(via, "tools/busybox", "bad-amd64", mislabelled);
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

describe("--verify-binaries", () => {
  it("passes real amd64 and arm64 busybox images and reports what it checked", async () => {
    const run = await polyarch([
      "merge",
      "--json",
      "--verify-binaries",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${host}/tools/busybox:{arch}`,
      "--target",
      `${host}/tools/busybox:multi`,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.verified.map((v: { source: string }) => v.source)).toEqual([
      `${host}/tools/busybox:amd64`,
      `${host}/tools/busybox:arm64`,
    ]);
    for (const entry of report.verified) expect(entry.checked).toBeGreaterThanOrEqual(1);
    expect((await fetchManifest(registry, "tools/busybox", "multi")).status).toBe(200);
  });

  it("fails with exit 1 when a binary is for another architecture than the config claims, pushing nothing", async () => {
    proxy.reset();
    const run = await polyarch([
      "merge",
      "--verify-binaries",
      "--target",
      `${host}/tools/busybox:mixed`,
      `${host}/tools/busybox:bad-amd64=linux/amd64`,
      `${host}/tools/busybox:arm64`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`${host}/tools/busybox:bad-amd64`);
    expect(run.stderr).toContain("linux/amd64");
    expect(run.stderr).toMatch(/bin\/busybox/);
    expect(run.stderr).toMatch(/AArch64|arm64/i);
    expect(writes(proxy)).toEqual([]);
    expect((await fetchManifest(registry, "tools/busybox", "mixed")).status).toBe(404);
  });

  it("is what catches the mislabelled image: the config alone agrees with the stated platform", async () => {
    const run = await polyarch([
      "merge",
      "--dry-run",
      "--target",
      `${host}/tools/busybox:unverified`,
      `${host}/tools/busybox:bad-amd64=linux/amd64`,
      `${host}/tools/busybox:arm64`,
    ]);
    expect(run.code).toBe(0);
  });
});
