import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assembleNodeBase,
  type Buildah,
  busyboxImage,
  pushImage,
  pushRootfs,
  type Registry,
  skopeo,
  startBuildah,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPolyarch } from "../support/process.ts";
import { buildToolImage, prepareContext } from "../support/tool-image.ts";

// images/polyarch/Containerfile built for real with Buildah (chroot isolation, vfs storage of its own),
// for amd64 natively and for arm64 through qemu-user-static's binfmt handler, over a base this test
// assembles from the machine's own files (busybox-static, Node.js, glibc) and pushes to a harness registry.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ARCHES = ["amd64", "arm64"] as const;

let registry: Registry;
let work: TempDir;
let store: Buildah;
const containers = new Map<string, string>();

beforeAll(async () => {
  registry = await startRegistry();
  work = await tempDir("polyarch-tool-image-");
  store = await startBuildah([registry.host]);
  const context = join(work.path, "context");
  await prepareContext(context);
  for (const arch of ARCHES) {
    const rootfs = join(work.path, `base-${arch}`);
    await assembleNodeBase(arch, rootfs);
    await pushRootfs(store, rootfs, arch, `${registry.host}/base/node:${arch}`);
    await pushImage(registry, "src/busybox", arch, await busyboxImage({ arch }));
    const tag = `${registry.host}/tools/polyarch:${arch}`;
    await buildToolImage(store, context, {
      arch,
      buildArgs: { BASE_IMAGE: `${registry.host}/base/node:${arch}` },
      tag,
    });
    await store.run(["push", "--tls-verify=false", tag, `docker://${tag}`]);
    const container = (await store.run(["from", "--pull-never", tag])).trim();
    // What the ci check and render tests read, owned by the image's user like a job's checkout.
    for (const [source, target] of [
      ["examples/pipeline", "/home/polyarch/pipeline"],
      ["examples/fleet.yaml", "/home/polyarch/fleet.yaml"],
    ] as const)
      await store.run(["copy", "--chown", "10001:10001", container, join(ROOT, source), target]);
    containers.set(arch, container);
  }
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  await store?.remove();
  await work?.remove();
});

/** Runs a command in the built image as its own (non-root) user, as a CI job would. */
const inImage = (arch: string, command: string[]) => store.runIn(containers.get(arch)!, command);

describe.each(ARCHES)("the polyarch tool image for %s", (arch) => {
  it("is an image of its architecture whose config runs as a non-root user", async () => {
    const config = JSON.parse(
      await skopeo(["inspect", "--config", `docker://${registry.host}/tools/polyarch:${arch}`]),
    ) as { architecture: string; os: string; config: { User?: string } };
    expect(config).toMatchObject({ os: "linux", architecture: arch, config: { User: "10001:10001" } });
    expect((await inImage(arch, ["id", "-u"])).trim()).toBe("10001");
  });

  it("adds polyarch to the base in layers of under 3 MB", async () => {
    const manifest = (ref: string) =>
      skopeo(["inspect", "--raw", `docker://${ref}`]).then(
        (text) => JSON.parse(text) as { layers: Array<{ size: number }> },
      );
    const base = await manifest(`${registry.host}/base/node:${arch}`);
    const tool = await manifest(`${registry.host}/tools/polyarch:${arch}`);
    const added = tool.layers.slice(base.layers.length).reduce((sum, layer) => sum + layer.size, 0);
    expect(tool.layers.length).toBeGreaterThan(base.layers.length);
    // The launchers and their bundles, compressed (about 0.5 MB when this was written; with pnpm deploy's
    // node_modules it was 4.6 MB).
    expect(added).toBeLessThan(3 * 1024 * 1024);
  });

  it("runs polyarch --version with the image's own Node.js", async () => {
    const { version } = (await import("../../packages/cli/package.json", { with: { type: "json" } })).default;
    expect((await inImage(arch, ["polyarch", "--version"])).trim()).toBe(version);
    expect((await inImage(arch, ["node", "-p", "process.arch"])).trim()).toBe(
      arch === "amd64" ? "x64" : "arm64",
    );
  });

  it("runs polyarch ci check on the example pipeline, with GitLab's CI schema it carries", async () => {
    expect(await inImage(arch, ["polyarch", "ci", "check", "pipeline/.gitlab-ci.yml"])).toBe(
      "pipeline/.gitlab-ci.yml, ci/polyarch.yml: valid (GitLab CI schema and polyarch's pipeline checks)\n",
    );
  });

  it("runs polyarch render on the example fleet, writing what the bundle here renders", async () => {
    await inImage(arch, ["polyarch", "render", "fleet.yaml", "--out", "rendered"]);
    const config = await inImage(arch, ["cat", "rendered/config.toml"]);
    expect(config).toMatch(/^\[\[runners\]\]\n {2}name = "k8s-multiarch"$/m);
    const here = await runPolyarch(["render", join(ROOT, "examples/fleet.yaml"), "--stdout", "config"]);
    expect(config).toBe(here.stdout);
  });

  it("runs a polyarch merge against a registry from inside", async () => {
    const target = `${registry.host}/merged/${arch}:1`;
    await inImage(arch, [
      "polyarch",
      "merge",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${registry.host}/src/busybox:{arch}`,
      "--target",
      target,
    ]);
    const index = JSON.parse(await skopeo(["inspect", "--raw", `docker://${target}`])) as {
      manifests: Array<{ platform: { architecture: string } }>;
    };
    expect(index.manifests.map((entry) => entry.platform.architecture).sort()).toEqual(["amd64", "arm64"]);
  });
});
