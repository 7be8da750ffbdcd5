import {
  type FaultProxy,
  fetchManifest,
  type Image,
  type Registry,
  sha256Digest,
  startFaultProxy,
  startRegistry,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, json, polyarch, pushSynthetic, through } from "./support.ts";

let registry: Registry;
let proxy: FaultProxy;
let host: string;
let v1: Image[];
let v2: Image[];

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  host = proxy.host;
  const via = through(registry, proxy);
  v1 = [
    await pushSynthetic(via, "src/app", "v1-amd64", { platform: amd64, seed: "v1" }),
    await pushSynthetic(via, "src/app", "v1-arm64", { platform: arm64, seed: "v1" }),
  ];
  v2 = [
    await pushSynthetic(via, "src/app", "v2-amd64", { platform: amd64, seed: "v2" }),
    await pushSynthetic(via, "src/app", "v2-arm64", { platform: arm64, seed: "v2" }),
  ];
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

const mergeArgs = (version: string, target: string) => [
  "merge",
  "--json",
  "--platforms",
  "linux/amd64,linux/arm64",
  "--template",
  `${host}/src/app:${version}-{arch}`,
  "--target",
  `${host}/${target}`,
];

async function fetched(repo: string, reference: string) {
  const manifest = await fetchManifest(registry, repo, reference);
  return manifest.status === 200
    ? { digest: sha256Digest(manifest.bytes), bytes: manifest.bytes }
    : undefined;
}

function manifestPuts(): string[] {
  return proxy.counter
    .filter({ method: "PUT", route: "manifest" })
    .map((r) => r.path.split("/manifests/")[1] ?? "");
}

describe("a failure in the middle of a merge", () => {
  it("while the index is PUT leaves the target tag on the previous index, and a re-run completes", async () => {
    const first = await polyarch(mergeArgs("v1", "dst/app:stable"));
    expect(first.code).toBe(0);
    const previous = await fetched("dst/app", "stable");
    expect(previous?.digest).toBe(JSON.parse(first.stdout).digest);

    proxy.reset();
    const fault = proxy.inject({
      type: "status",
      status: 503,
      method: "PUT",
      path: /\/manifests\/stable$/,
      times: Infinity,
    });
    const failed = await polyarch(mergeArgs("v2", "dst/app:stable"));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("stable");
    expect(fault.hits).toBeGreaterThan(0);
    // The children went first, by digest; the tag still names the old index.
    expect(manifestPuts().filter((ref) => ref !== "stable")).toEqual(
      v2.map((image) => image.manifest.digest),
    );
    expect((await fetched("dst/app", "stable"))?.digest).toBe(previous?.digest);

    proxy.reset();
    const rerun = await polyarch(mergeArgs("v2", "dst/app:stable"));
    expect(rerun.code).toBe(0);
    const report = JSON.parse(rerun.stdout);
    expect(report.action).toBe("updated");
    expect(report.copied.manifests).toBe(0);
    expect(manifestPuts()).toEqual(["stable"]);
    expect(proxy.counter.count({ route: "upload" })).toBe(0);
    const now = await fetched("dst/app", "stable");
    expect(now?.digest).toBe(report.digest);
    expect(json(now?.bytes ?? "{}").manifests.map((m) => m.digest)).toEqual(
      v2.map((image) => image.manifest.digest),
    );
  });

  it("while a child is PUT never writes the target tag, and a re-run completes", async () => {
    proxy.reset();
    const fault = proxy.inject({
      type: "status",
      status: 500,
      method: "PUT",
      path: /\/manifests\/sha256:/,
      times: Infinity,
    });
    const failed = await polyarch(mergeArgs("v1", "fresh/app:1"));
    expect(failed.code).toBe(1);
    expect(fault.hits).toBeGreaterThan(0);
    expect(manifestPuts().filter((ref) => ref === "1")).toEqual([]);
    expect(await fetched("fresh/app", "1")).toBeUndefined();

    proxy.reset();
    const rerun = await polyarch(mergeArgs("v1", "fresh/app:1"));
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).action).toBe("created");
    const fresh = await fetched("fresh/app", "1");
    expect(fresh?.digest).toBe(JSON.parse(rerun.stdout).digest);
    expect(json(fresh?.bytes ?? "{}").manifests.map((m) => m.digest)).toEqual(
      v1.map((image) => image.manifest.digest),
    );
  });

  it("rides out transient 503s and resets on the way without changing the result", async () => {
    const clean = await polyarch([...mergeArgs("v1", "retry/app:clean"), "--dry-run"]);
    proxy.reset();
    proxy.inject({ type: "status", status: 503, method: "GET", path: /\/manifests\/v1-arm64$/, times: 2 });
    proxy.inject({ type: "reset", method: "GET", path: /\/blobs\//, times: 1 });
    proxy.inject({ type: "rate-limit", retryAfter: 0, method: "PUT", path: /\/manifests\/1$/, times: 1 });
    const run = await polyarch(mergeArgs("v1", "retry/app:1"));
    expect(run.code).toBe(0);
    expect(proxy.counter.filter().filter((r) => r.fault !== undefined).length).toBe(4);
    expect(JSON.parse(run.stdout).digest).toBe(JSON.parse(clean.stdout).digest);
    expect((await fetched("retry/app", "1"))?.digest).toBe(JSON.parse(clean.stdout).digest);
  });
});
