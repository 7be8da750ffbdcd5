import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { verifyBinaries } from "@polyarch/elf";
import {
  busyboxImage,
  fetchManifest,
  hostBusyboxArch,
  pushImage,
  type Registry,
  skopeo,
  skopeoInspectRaw,
  startRegistry,
  type TempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, dotenvVariables, polyarch, pushBase, realBuildah, workspace } from "./support.ts";

// Buildah for real (chroot isolation, vfs storage in this file's temp dir), pushing to a real registry;
// the foreign build (arm64 on an amd64 machine, amd64 on an arm64 one) runs its RUN step through
// qemu-user-static's binfmt handler.
let registry: Registry;
let work: { dir: TempDir; context: string; env: Record<string, string> };
let nativeRun: CliRun;
let foreignRun: CliRun;
const native = hostBusyboxArch();
const foreign = native === "amd64" ? "arm64" : "amd64";
/** How elf names each machine in its messages. */
const machineName = { amd64: "x86-64", arm64: "AArch64" } as const;

const build = (args: string[], env: Record<string, string> = {}) =>
  polyarch(["build", "--context", work.context, "--image", `${registry.host}/team/app`, ...args], {
    env: { ...work.env, ...env },
    cwd: work.dir.path,
  });

beforeAll(async () => {
  registry = await startRegistry();
  await pushBase(registry);
  work = await workspace(registry);
  nativeRun = await build(["--dotenv", join(work.dir.path, "native.env"), "--json"]);
  foreignRun = await build([
    "--platform",
    `linux/${foreign}`,
    "--emulate",
    "--verify-binaries",
    "--dotenv",
    join(work.dir.path, "foreign.env"),
  ]);
}, 240_000);

afterAll(async () => {
  await registry?.stop();
  await work?.dir.remove();
});

describe("polyarch build with Buildah", () => {
  it("builds natively, pushes the job's unique tag and writes the digest to the dotenv file", async () => {
    expect(nativeRun.stderr).not.toContain("polyarch:");
    expect(nativeRun.code).toBe(0);
    const report = JSON.parse(nativeRun.stdout);
    expect(report).toMatchObject({
      builder: "buildah",
      platform: `linux/${native}`,
      emulated: false,
      tag: `${native}-1a2b3c4d-4242`,
    });
    const env = await dotenvVariables(join(work.dir.path, "native.env"));
    const ARCH = native.toUpperCase();
    expect(Object.keys(env)).toEqual([`POLYARCH_IMAGE_${ARCH}`, `POLYARCH_DIGEST_${ARCH}`]);
    expect(env[`POLYARCH_IMAGE_${ARCH}`]).toBe(`${registry.host}/team/app@${report.digest}`);
    // The tag pushed is the digest reported: read independently of polyarch.
    const pushed = await fetchManifest(registry, "team/app", `${native}-1a2b3c4d-4242`);
    expect(pushed.digest).toBe(env[`POLYARCH_DIGEST_${ARCH}`]);
    expect(report.size.layers).toBeGreaterThan(0);
  });

  it("labels the image from the CI variables", async () => {
    const config = JSON.parse(
      await skopeo(["inspect", "--config", `docker://${registry.host}/team/app:${native}-1a2b3c4d-4242`]),
    );
    expect(config.config.Labels).toMatchObject({
      "org.opencontainers.image.source": "https://gitlab.example.com/team/app",
      "org.opencontainers.image.revision": "1a2b3c4d5e6f70811a2b3c4d5e6f70811a2b3c4d",
      "org.opencontainers.image.created": "2026-12-01T10:00:00Z",
    });
    expect(config.architecture).toBe(native);
  });

  it("builds the other architecture through QEMU with --emulate, says so, and checks the binaries it pushed", async () => {
    expect(foreignRun.code).toBe(0);
    expect(foreignRun.stderr).toContain(
      `warning: building linux/${foreign} on a linux/${native} machine through QEMU`,
    );
    const env = await dotenvVariables(join(work.dir.path, "foreign.env"));
    const image = env[`POLYARCH_IMAGE_${foreign.toUpperCase()}`];
    expect(image).toBe(foreignRun.stdout.trim());
    const config = JSON.parse(await skopeo(["inspect", "--config", `docker://${image}`]));
    expect(config.architecture).toBe(foreign);
  });

  it("merges the two jobs' dotenv files passed as variables, and skopeo picks an arm64 busybox", async () => {
    const variables = {
      ...(await dotenvVariables(join(work.dir.path, "native.env"))),
      ...(await dotenvVariables(join(work.dir.path, "foreign.env"))),
    };
    const target = `${registry.host}/team/app:1a2b3c4d`;
    const indexEnv = join(work.dir.path, "index.env");
    const merged = await polyarch(
      ["merge", "--from-env", "--target", target, "--tags", "latest", "--dotenv", indexEnv],
      { env: { ...work.env, ...variables } },
    );
    expect(merged.stderr).not.toContain("polyarch:");
    expect(merged.code).toBe(0);
    const index = JSON.parse((await skopeoInspectRaw(`docker://${target}`)).toString("utf8"));
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      variables.POLYARCH_DIGEST_AMD64,
      variables.POLYARCH_DIGEST_ARM64,
    ]);
    const repository = `${registry.host}/team/app`;
    expect(await readFile(indexEnv, "utf8")).toBe(
      `POLYARCH_INDEX=${merged.stdout.trim()}\n` +
        `POLYARCH_DIGESTS=${repository}@${variables.POLYARCH_DIGEST_AMD64},${repository}@${variables.POLYARCH_DIGEST_ARM64}\n`,
    );

    const out = join(work.dir.path, "arm64-copy");
    await skopeo(["copy", "--override-arch", "arm64", `docker://${target}`, `dir:${out}`]);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
    const result = await verifyBinaries({
      expected: { architecture: "arm64" },
      layers: manifest.layers.map((layer: { mediaType: string; digest: string }) => ({
        mediaType: layer.mediaType,
        digest: layer.digest,
        open: async () => (await import("node:fs")).createReadStream(join(out, layer.digest.slice(7))),
      })),
    });
    expect(result.machines.map((m) => m.architecture)).toEqual(["arm64"]);
    expect(result.ok).toBe(true);
    expect((await readdir(out)).length).toBeGreaterThan(2);
  });

  it.each([
    ["builder", "reads it back by digest and fails"],
    ["polyarch", "fails before pushing anything"],
  ])("with --push-with %s, a builder that built another platform than asked %s", async (pushWith) => {
    // Real Buildah behind a wrapper that swaps the platform it is given, as Kaniko's shared cache does.
    const bin = join(work.dir.path, "lying-bin");
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, "buildah"),
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = linux/${native} ] && a=linux/${foreign}; set -- "$@" "$a"; shift; done\nexec ${realBuildah()} "$@"\n`,
      { mode: 0o755 },
    );
    const tag = `${native}-lying-${pushWith}`;
    const run = await build(["--tag-template", `{arch}-lying-${pushWith}`, "--push-with", pushWith], {
      PATH: `${bin}:${work.env.PATH}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `team/app:${tag}@sha256:[0-9a-f]{64} was built for linux/${native} but its config \\(sha256:[0-9a-f]{64}\\) says linux/${foreign}`,
      ),
    );
    expect(run.stdout).toBe("");
    // The builder's own push tagged it before the read-back; polyarch's push never started.
    expect((await fetchManifest(registry, "team/app", tag)).status).toBe(pushWith === "builder" ? 200 : 404);
  });

  it.each([
    ["builder", "(Buildah's push reuses the base's blob, so the layer keeps the base's digest)"],
    ["polyarch", "(Buildah compresses the base layer anew into the layout, so its digest changes)"],
  ])(
    "with --verify-binaries and --push-with %s, names the layer whose binaries are for another machine %s",
    async (pushWith) => {
      // A base labelled with this machine's architecture whose busybox is the other's: the build runs
      // (QEMU hides it), the config says this machine's.
      const base = await busyboxImage({
        arch: foreign,
        labelAs: { os: "linux", architecture: native },
        applets: ["sh"],
      });
      await pushImage(registry, "base/leaky", "1", base);
      const context = join(work.dir.path, "leaky");
      await mkdir(context, { recursive: true });
      await writeFile(
        join(context, "Dockerfile"),
        `FROM ${registry.host}/base/leaky:1\nRUN echo built > /built\n`,
      );
      const tag = `${native}-leaky-${pushWith}`;
      const run = await build([
        ...["--context", context, "--tag-template", `{arch}-leaky-${pushWith}`, "--verify-binaries"],
        ...["--push-with", pushWith],
      ]);
      expect(run.code).toBe(1);
      const layer = pushWith === "builder" ? (base.layers[0]?.digest as string) : "sha256:[0-9a-f]{64}";
      expect(run.stderr).toMatch(
        new RegExp(
          `is linux/${native} but layer 1 of 2 \\(${layer}\\) holds /bin/busybox, a ${machineName[foreign]} binary`,
        ),
      );
      // The layer named is the layout's, not the base's (Buildah's own pull log may name the base's).
      const verdict = run.stderr.split("\n").find((line) => line.includes("holds /bin/busybox")) ?? "";
      if (pushWith === "polyarch") expect(verdict).not.toContain(base.layers[0]?.digest as string);
      expect((await fetchManifest(registry, "team/app", tag)).status).toBe(
        pushWith === "builder" ? 200 : 404,
      );
    },
  );

  it("with --source-date-epoch builds the same digest again, and polyarch's push writes nothing the second time", async () => {
    const args = ["--tag-template", "{arch}-pinned", "--source-date-epoch", "1700000000", "--json"];
    args.push("--push-with", "polyarch");
    const first = await build(args);
    expect(first.stderr).not.toContain("polyarch:");
    const again = await build(args);
    expect(JSON.parse(first.stdout)).toMatchObject({ action: "created" });
    expect(JSON.parse(again.stdout)).toMatchObject({
      action: "unchanged",
      digest: JSON.parse(first.stdout).digest,
    });
    const config = JSON.parse(
      await skopeo(["inspect", "--config", `docker://${registry.host}/team/app:${native}-pinned`]),
    );
    expect(config.created).toBe("2023-11-14T22:13:20Z");
  });

  it("refuses a job that landed on a machine of another architecture before building", async () => {
    const run = await build(["--tag-template", "{arch}-misrouted"], {
      KUBERNETES_NODE_SELECTOR_ARCH: `kubernetes.io/arch=${foreign}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `asked for ${foreign} (KUBERNETES_NODE_SELECTOR_ARCH) but runs on a linux/${native} machine`,
    );
    expect(run.stderr).toContain("node_selector_overwrite_allowed");
    expect(run.stderr).not.toContain("running buildah");
    expect((await fetchManifest(registry, "team/app", `${native}-misrouted`)).status).toBe(404);
  });

  it.each([
    [["--file", "missing/Dockerfile"], "there is no Dockerfile at"],
    [["--builder", "docker"], '--builder "docker" is not a builder'],
    [["--tag-template", "latest"], "has no {arch}"],
    [["--build-arg", "VERSION"], '--build-arg "VERSION" is not KEY=VALUE'],
    [["--build-args", "VERSION=1.4"], '--build-args "VERSION=1.4" is not a JSON array of strings'],
    [["--build-args", '["VERSION"]'], '--build-arg "VERSION" is not KEY=VALUE'],
    [
      ["--cache-repo", "registry.example.com/cache:v1"],
      "--cache-repo registry.example.com/cache:v1 must name",
    ],
  ])("exits 2 on bad input and pushes nothing (%j)", async (args, message) => {
    const run = await build(["--tag-template", "{arch}-bad", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain("running buildah");
    expect((await fetchManifest(registry, "team/app", `${native}-bad`)).status).toBe(404);
  });
});
