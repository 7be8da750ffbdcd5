import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type FaultProxy,
  fetchManifest,
  pushImage,
  type Registry,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import { startPolyarch } from "../support/process.ts";

// Load: a sync of many tags from an upstream that throttles, as a real process. Tiny images (ten distinct
// ones under 300 tags), short waits: the client's longest wait is capped (POLYARCH_RETRY_MAX_MS), so each
// Retry-After of 1 s costs 20 ms here; the report compares the run's time with the sum of those waits.
const TAGS = 300;
const MAX_WAIT_MS = 20;
const CLIENT_CONNECTIONS = 8; // RegistryClient's default maxConcurrency: requests in flight per registry

let upstream: Registry;
let target: Registry;
let proxy: FaultProxy;
let work: TempDir;
const digests = new Map<string, string>();

beforeAll(async () => {
  [upstream, target] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startFaultProxy(upstream.url);
  work = await tempDir();
  const images = await Promise.all(
    Array.from({ length: 10 }, (_, i) => syntheticImage({ layers: [512], seed: `load-${i}` })),
  );
  for (const [i, image] of images.entries()) await pushImage(upstream, "load/app", `1.${i}`, image);
  // The other tags name the same ten manifests: one manifest PUT each, twenty at a time.
  for (let i = 0; i < TAGS; i++) digests.set(`1.${i}`, images[i % images.length]!.manifest.digest);
  const rest = Array.from({ length: TAGS - images.length }, (_, k) => k + images.length);
  for (let start = 0; start < rest.length; start += 20) {
    await Promise.all(
      rest.slice(start, start + 20).map(async (i) => {
        const { manifest } = images[i % images.length]!;
        const response = await fetch(`${upstream.url}/v2/load/app/manifests/1.${i}`, {
          method: "PUT",
          headers: { "content-type": manifest.mediaType },
          body: manifest.bytes,
        });
        expect(response.status).toBe(201);
      }),
    );
  }
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([upstream?.stop(), target?.stop()]);
  await work?.remove();
});

/** Peak RSS of a running process: the kernel's high-water mark, read until it exits. */
function watchPeakRss(pid: number): { stop(): number } {
  let peakKb = 0;
  const timer = setInterval(async () => {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peakKb = Math.max(peakKb, hwm);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return peakKb;
    },
  };
}

describe("sync under load and throttling", () => {
  it(`copies all ${TAGS} tags through 20% 429s and a 503 burst, within the per-registry request limit`, async () => {
    const spec = join(work.path, "load.yaml");
    await writeFile(
      spec,
      `concurrency: 16\nregistries:\n  ${proxy.host}: { concurrency: 4 }\nimages:\n  - source: ${proxy.host}/load/app\n    target: ${target.host}/mirror/app\n    tags: { allow: ['1\\.\\d+'] }\n`,
    );
    proxy.reset();
    const rateLimited = proxy.inject({ type: "rate-limit", retryAfter: 1, every: 5, times: Infinity });
    const burst = proxy.inject({ type: "status", status: 503, after: 600, times: 6 });
    const started = performance.now();
    const run = startPolyarch(["sync", spec], {
      env: { POLYARCH_RETRIES: "8", POLYARCH_RETRY_BASE_MS: "5", POLYARCH_RETRY_MAX_MS: String(MAX_WAIT_MS) },
    });
    const rss = watchPeakRss(run.child.pid!);
    const result = await run.done;
    const peakKb = rss.stop();
    const seconds = (performance.now() - started) / 1000;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(rateLimited.hits).toBeGreaterThan(TAGS / 5);
    expect(burst.hits).toBe(6);
    expect(proxy.peakInFlight).toBeLessThanOrEqual(CLIENT_CONNECTIONS);

    const wrong: string[] = [];
    for (const [tag, digest] of digests) {
      const stored = await fetchManifest(target, "mirror/app", tag);
      if (stored.digest !== digest) wrong.push(tag);
    }
    expect(wrong).toEqual([]);
    const waits = (rateLimited.hits * MAX_WAIT_MS) / 1000;
    process.stderr.write(
      `load: sync of ${TAGS} tags in ${seconds.toFixed(1)} s; ${proxy.counter.requests.length} upstream requests, ` +
        `${rateLimited.hits} answered 429 (Retry-After waits: ${waits.toFixed(1)} s in sum, ${(waits / 4).toFixed(1)} s ` +
        `spread over 4 images at once), ${burst.hits} 503s in a burst; peak ${proxy.peakInFlight} requests in flight ` +
        `at the upstream (limit ${CLIENT_CONNECTIONS}); peak RSS ${(peakKb / 1024).toFixed(0)} MiB\n`,
    );
  });

  it("slows pulls down to one at a time as ratelimit-remaining falls, before any 429", async () => {
    const spec = join(work.path, "quota.yaml");
    await writeFile(
      spec,
      `concurrency: 8\nregistries:\n  ${proxy.host}: { slowDownAt: 30 }\nimages:\n  - source: ${proxy.host}/load/app\n    target: ${target.host}/quota/app\n    tags: { allow: ['1\\.[0-5]?\\d'] }\n`,
    );
    proxy.reset();
    // 60 pulls of a quota of 70: the 40th leaves 30 (slowDownAt), the last leaves 10; none is refused.
    proxy.inject({ type: "quota", limit: 70, times: Infinity });
    const run = await polyarch(["sync", spec, "--verbose"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("pulling one image at a time");
    const pulls = proxy.counter.requests.filter((r) => r.method === "GET" && r.route === "manifest");
    expect(pulls).toHaveLength(60);
    expect(proxy.counter.count({ status: 429 })).toBe(0);
    // Once the 40th pull's answer said 30 left, pulls go one at a time: after the up to 8 images already
    // admitted (the spec's concurrency) have started theirs, no two pulls overlap.
    // Of the 20 pulls after the 40th, up to 8 may have started before its answer came; of the rest, the first
    // 8 may still belong to images admitted before the slow-down. So at least 4 are left to check, and how
    // many more depends on timing alone (a shuffled run under load left exactly 8).
    const threshold = pulls[39]!.endedAt!;
    const late = pulls.filter((r) => r.startedAt > threshold).slice(8);
    expect(late.length).toBeGreaterThanOrEqual(4);
    for (const [a, b] of late.slice(1).map((r, i) => [late[i]!, r] as const)) {
      expect(b.startedAt).toBeGreaterThanOrEqual(a.endedAt!);
    }
  });
});
