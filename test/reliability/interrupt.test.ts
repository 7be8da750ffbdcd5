import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LayoutStore, verifyDigest } from "@polyarch/oci";
import {
  busyboxImage,
  type FaultProxy,
  fetchManifest,
  hostBusyboxArch,
  pushImage,
  type Registry,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
  vfsStorage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  livingMembers,
  type ProcessRun,
  processes,
  runPolyarch,
  startPolyarch,
  until,
} from "../support/process.ts";

// Images are read from `upstream` directly and written to `registry` through the proxy, which slows
// requests down so that the command is mid-run when the signal comes, and records every request.
let upstream: Registry;
let registry: Registry;
let proxy: FaultProxy;

beforeAll(async () => {
  [upstream, registry] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startFaultProxy(registry.url);
  const amd64 = await syntheticImage({ layers: [40_000, 40_000, 40_000, 40_000], seed: "interrupt" });
  const arm64 = await syntheticImage({
    platform: { os: "linux", architecture: "arm64" },
    layers: [40_000, 40_000],
    seed: "interrupt",
  });
  for (const store of [upstream, registry]) {
    await pushImage(store, "src/app", "amd64", amd64);
    await pushImage(store, "src/app", "arm64", arm64);
  }
  // Blobs of their own, so that sync into the registry uploads them rather than mounting src/app's.
  const many = await syntheticImage({ layers: [40_000, 40_000, 40_000], seed: "many" });
  for (const store of [upstream, registry]) {
    for (const tag of ["1.0", "1.1", "1.2"]) await pushImage(store, "src/many", tag, many);
  }
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([registry?.stop(), upstream?.stop()]);
});

const missing = async (repository: string, tag: string) =>
  expect((await fetchManifest(registry, repository, tag)).status).toBe(404);

const tagPutsFrom = (from: number) =>
  proxy.counter.requests
    .slice(from)
    .filter((r) => r.method === "PUT" && r.route === "manifest" && !/\/sha256:/.test(r.path));

/**
 * Starts polyarch, waits until the proxy has seen `midRun` (a slowed-down request in flight), sends
 * `signal`, and returns the run with the index of the first request recorded after the signal.
 */
async function interrupt(args: string[], midRun: () => boolean, signal: NodeJS.Signals) {
  const started = startPolyarch(args);
  await until(midRun, "the command to be mid-run");
  const cut = proxy.counter.requests.length;
  const sentAt = performance.now();
  started.child.kill(signal);
  const run: ProcessRun = await started.done;
  return { run, cut, exitMs: performance.now() - sentAt };
}

const inFlightUploadPut = () =>
  proxy.counter.requests.some((r) => r.method === "PUT" && r.route === "upload" && r.status === 0);

describe("interrupting a command (real processes, a slowed-down registry)", () => {
  it("mirror: SIGINT mid-upload exits 130, cancels the upload, writes no tag; a re-run completes", async () => {
    proxy.reset();
    proxy.inject({ type: "delay", ms: 400, method: "PUT", path: /\/blobs\/uploads\//, times: Infinity });
    const target = `${proxy.host}/dst/mirror:v1`;
    const { run, cut, exitMs } = await interrupt(
      ["mirror", `${upstream.host}/src/app:amd64`, target],
      inFlightUploadPut,
      "SIGINT",
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("interrupted by SIGINT");
    expect(run.stderr.trim().split("\n")[0]).toMatch(/^polyarch: /);
    expect(tagPutsFrom(cut)).toEqual([]);
    expect(proxy.counter.count({ method: "DELETE", route: "upload" })).toBeGreaterThan(0);
    await missing("dst/mirror", "v1");
    interruptions.push({ command: "mirror", signal: "SIGINT", exitMs });

    proxy.reset();
    const again = await runPolyarch(["mirror", `${upstream.host}/src/app:amd64`, target]);
    expect(again.code, again.stderr).toBe(0);
    expect((await fetchManifest(registry, "dst/mirror", "v1")).digest).toBe(
      (await fetchManifest(upstream, "src/app", "amd64")).digest,
    );
  });

  it("merge: SIGTERM while reading sources exits 143 and pushes no index; a re-run completes", async () => {
    proxy.reset();
    proxy.inject({ type: "delay", ms: 400, method: "GET", path: /\/manifests\//, times: Infinity });
    const args = [
      "merge",
      "--target",
      `${proxy.host}/src/app:multi`,
      `${proxy.host}/src/app:amd64`,
      `${proxy.host}/src/app:arm64`,
    ];
    const inFlightRead = () =>
      proxy.counter.requests.some((r) => r.route === "manifest" && r.method === "GET" && r.status === 0);
    const { run, cut, exitMs } = await interrupt(args, inFlightRead, "SIGTERM");
    expect(run.code, run.stderr).toBe(143);
    expect(tagPutsFrom(cut)).toEqual([]);
    await missing("src/app", "multi");
    interruptions.push({ command: "merge", signal: "SIGTERM", exitMs });

    proxy.reset();
    const again = await runPolyarch(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("src/app@sha256:");
  });

  it("sync into an oci: layout: SIGTERM mid-copy leaves a whole layout with whole blobs; a re-run completes", async () => {
    const dir = await tempDir();
    try {
      const spec = join(dir.path, "sync.yaml");
      const layout = join(dir.path, "layout");
      await writeFile(
        spec,
        `concurrency: 1\nimages:\n  - source: ${proxy.host}/src/many\n    target: oci:${layout}\n    tags: { allow: ['1\\.\\d'] }\n`,
      );
      proxy.reset();
      proxy.inject({ type: "delay", ms: 400, method: "GET", path: /\/blobs\/sha256:/, times: Infinity });
      const inFlightBlob = () =>
        proxy.counter.requests.some((r) => r.route === "blob" && r.method === "GET" && r.status === 0);
      const { run, exitMs } = await interrupt(["sync", spec], inFlightBlob, "SIGTERM");
      expect(run.code, run.stderr).toBe(143);
      interruptions.push({ command: "sync", signal: "SIGTERM", exitMs });
      await expectWholeLayout(layout);

      proxy.reset();
      const again = await runPolyarch(["sync", spec]);
      expect(again.code, again.stderr).toBe(0);
      expect((await new LayoutStore(layout).listTags()).sort()).toEqual(["1.0", "1.1", "1.2"]);
      await expectWholeLayout(layout);
    } finally {
      await dir.remove();
    }
  });

  it("sync to a registry: SIGINT mid-upload exits 130 with no tag after the signal; a re-run completes", async () => {
    const dir = await tempDir();
    try {
      const spec = join(dir.path, "sync.yaml");
      await writeFile(
        spec,
        `concurrency: 1\nimages:\n  - source: ${upstream.host}/src/many\n    target: ${proxy.host}/dst/many\n    tags: { allow: ['1\\.\\d'] }\n`,
      );
      proxy.reset();
      proxy.inject({ type: "delay", ms: 400, method: "PUT", path: /\/blobs\/uploads\//, times: Infinity });
      const { run, cut, exitMs } = await interrupt(["sync", spec], inFlightUploadPut, "SIGINT");
      expect(run.code, run.stderr).toBe(130);
      expect(tagPutsFrom(cut)).toEqual([]);
      expect(proxy.counter.count({ method: "DELETE", route: "upload" })).toBeGreaterThan(0);
      interruptions.push({ command: "sync", signal: "SIGINT", exitMs });

      proxy.reset();
      const again = await runPolyarch(["sync", spec]);
      expect(again.code, again.stderr).toBe(0);
      for (const tag of ["1.0", "1.1", "1.2"])
        expect((await fetchManifest(registry, "dst/many", tag)).status).toBe(200);
    } finally {
      await dir.remove();
    }
  });
});

describe("interrupting polyarch build (real Buildah, then polyarch's push through the slowed-down registry)", () => {
  it("SIGTERM mid-push exits 143, cancels the upload, writes no tag, removes its private directory; a re-run completes", async () => {
    const dir = await tempDir("polyarch-interrupt-build-");
    try {
      const context = join(dir.path, "context");
      await mkdir(context);
      await mkdir(join(dir.path, "home"));
      await writeFile(join(context, "Dockerfile"), "FROM scratch\nCOPY a /a\nCOPY b /b\n");
      await writeFile(join(context, "a"), Buffer.alloc(40_000, "interrupt a\n"));
      await writeFile(join(context, "b"), Buffer.alloc(40_000, "interrupt b\n"));
      const env = { HOME: join(dir.path, "home"), TMPDIR: dir.path, ...(await vfsStorage(dir.path)) };
      const args = ["build", "--builder", "buildah", "--push-with", "polyarch", "--context", context];
      args.push("--image", `${proxy.host}/dst/built`, "--tag-template", "{arch}-interrupted");
      proxy.reset();
      proxy.inject({ type: "delay", ms: 400, method: "PUT", path: /\/blobs\/uploads\//, times: Infinity });
      const started = startPolyarch(args, { env });
      await until(inFlightUploadPut, "the build's push to be mid-upload");
      const cut = proxy.counter.requests.length;
      const sentAt = performance.now();
      started.child.kill("SIGTERM");
      const run = await started.done;
      interruptions.push({ command: "build", signal: "SIGTERM", exitMs: performance.now() - sentAt });
      expect(run.code, run.stderr).toBe(143);
      expect(tagPutsFrom(cut)).toEqual([]);
      expect(proxy.counter.count({ method: "DELETE", route: "upload" })).toBeGreaterThan(0);
      await missing("dst/built", `${hostBusyboxArch()}-interrupted`);
      // The auth file and the built layout went with the run.
      expect((await readdir(dir.path)).filter((name) => name.startsWith("polyarch-auth-"))).toEqual([]);

      proxy.reset();
      const again = await runPolyarch(args, { env });
      expect(again.code, again.stderr).toBe(0);
      expect((await fetchManifest(registry, "dst/built", `${hostBusyboxArch()}-interrupted`)).status).toBe(
        200,
      );
    } finally {
      await dir.remove();
    }
  });
});

describe("interrupting polyarch build while the builder runs (real Buildah, a RUN step slow to stop)", () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let context: string;
  /** Builder process groups the tests saw, killed afterwards should a failed test leave one behind. */
  const groups: number[] = [];

  beforeAll(async () => {
    dir = await tempDir("polyarch-interrupt-builder-");
    // A RUN step that leaves a process behind which ignores SIGTERM (sleep inherits the ignored signal):
    // Buildah kills its RUN step's shell when told to stop, but not that process, which only the group's
    // SIGKILL ends.
    const base = await busyboxImage({ arch: hostBusyboxArch(), applets: ["sh", "sleep"] });
    await pushImage(registry, "base/sleepy", "1", base);
    context = join(dir.path, "context");
    await mkdir(context);
    await mkdir(join(dir.path, "home"));
    await writeFile(
      join(context, "Dockerfile"),
      `FROM ${registry.host}/base/sleepy:1\nRUN trap '' TERM INT; sleep 600 & wait\n`,
    );
    env = { HOME: join(dir.path, "home"), TMPDIR: dir.path, ...(await vfsStorage(dir.path)) };
  });

  afterAll(async () => {
    for (const group of groups) {
      if ((await livingMembers(group)).length > 0) process.kill(-group, "SIGKILL");
    }
    await dir?.remove();
  });

  const authDirs = async () => (await readdir(dir.path)).filter((name) => name.startsWith("polyarch-auth-"));

  /** Starts the build and resolves once the builder's RUN step runs, with the builder's process group. */
  async function startStuckBuild(tag: string) {
    const args = ["build", "--builder", "buildah", "--context", context];
    args.push("--image", `${registry.host}/dst/stuck`, "--tag-template", `{arch}-${tag}`);
    const started = startPolyarch(args, { env });
    const polyarchPid = started.child.pid as number;
    // The builder is polyarch's child and leads its own process group; wait for its RUN step's sleep.
    let group = 0;
    await until(
      async () => {
        const all = await processes();
        group = all.find((p) => p.ppid === polyarchPid && p.comm === "buildah")?.pgid ?? 0;
        return group !== 0 && all.some((p) => p.pgid === group && p.comm === "sleep");
      },
      "the builder's RUN step to be running",
      120_000,
    );
    groups.push(group);
    expect(await authDirs()).toHaveLength(1);
    return { started, group };
  }

  it("SIGTERM waits for the builder's whole process group to end and removes the private directory", async () => {
    const { started, group } = await startStuckBuild("stuck");
    started.child.kill("SIGTERM");
    const run = await started.done;
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toContain("interrupted by SIGTERM");
    // When polyarch has exited, nothing of the builder is left running, and its private directory (the
    // 0600 auth file with it) is gone.
    expect(await livingMembers(group)).toEqual([]);
    expect(await authDirs()).toEqual([]);
    await missing("dst/stuck", `${hostBusyboxArch()}-stuck`);
  }, 120_000);

  it("a second SIGTERM exits at once, killing the builder's group and removing the private directory on the way out", async () => {
    const { started, group } = await startStuckBuild("stuck-twice");
    // The second signal only after polyarch acted on the first (two pending SIGTERMs are one): Buildah
    // reports its RUN step killed once the group got SIGTERM.
    let stderr = "";
    started.child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    started.child.kill("SIGTERM");
    await until(() => stderr.includes("exited on killed"), "the builder's RUN step to be stopped");
    expect(await livingMembers(group)).not.toEqual([]);
    started.child.kill("SIGTERM");
    const run = await started.done;
    expect(run.code, run.stderr).toBe(143);
    // Removed synchronously on the way out; the group was sent SIGKILL, which the kernel completes.
    expect(await authDirs()).toEqual([]);
    await until(async () => (await livingMembers(group)).length === 0, "the builder's group to be gone");
    await missing("dst/stuck", `${hostBusyboxArch()}-stuck-twice`);
  }, 120_000);
});

/** index.json parses and names only manifests present, and every blob hashes to its name. */
async function expectWholeLayout(layout: string): Promise<void> {
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8"));
  const blobs = join(layout, "blobs", "sha256");
  const names = await readdir(blobs);
  for (const name of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
    verifyDigest(await readFile(join(blobs, name)), `sha256:${name}`, name);
  }
  for (const entry of index.manifests) expect(names).toContain(entry.digest.slice("sha256:".length));
}

const interruptions: Array<{ command: string; signal: string; exitMs: number }> = [];
afterAll(() => {
  // Reported, not asserted (no timed assertions): the launcher bounds it at 800 ms by construction.
  const lines = interruptions.map(
    (i) => `${i.command} ${i.signal}: exited ${i.exitMs.toFixed(0)} ms after the signal`,
  );
  if (lines.length > 0) process.stderr.write(`interruption: ${lines.join("; ")}\n`);
});
