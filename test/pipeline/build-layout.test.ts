import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isPolyarchError } from "@polyarch/errors";
import { openStore, RegistryClient } from "@polyarch/oci";
import { type BuildContext, type BuildReport, build, type Invocation } from "@polyarch/pipeline";
import {
  attestationFor,
  busyboxImage,
  type FaultProxy,
  fetchManifest,
  type Image,
  type ImageIndex,
  indexOf,
  type Registry,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
  writeLayout,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writes } from "../support/proxy.ts";
import { ciEnv } from "./support.ts";

// polyarch build's own half, through the library with its I/O injected: the builder is a stand-in that
// leaves the layout Kaniko (`--oci-layout-path`: one unnamed entry) or BuildKit (`type=oci,tar=false`: a
// named index holding the image and its provenance attestation) would leave, and polyarch's real client
// checks it and pushes it to a real registry, through a proxy that counts the writes.
let registry: Registry;
let proxy: FaultProxy;
let dir: TempDir;
let client: RegistryClient;
const amd64 = { os: "linux", architecture: "amd64" };

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  dir = await tempDir();
  await writeFile(join(dir.path, "Dockerfile"), "FROM scratch\n");
  client = new RegistryClient();
});

afterAll(async () => {
  await client?.close();
  await proxy?.stop();
  await registry?.stop();
  await dir?.remove();
});

/** Where the builder was told to write its layout: Kaniko's `--oci-layout-path`, BuildKit's `dest=`. */
function layoutDirOf(invocation: Invocation): string {
  const kaniko = invocation.args.indexOf("--oci-layout-path");
  if (kaniko >= 0) return invocation.args[kaniko + 1] as string;
  const output = invocation.args.find((arg) => arg.startsWith("type=oci,")) ?? "";
  return /dest=([^,]+)/.exec(output)?.[1] as string;
}

/** Runs `polyarch build` for `tag` with a builder that leaves `content` (or nothing) in its layout. */
async function buildWith(
  builder: "kaniko" | "buildkit",
  tag: string,
  content: Image | ImageIndex | undefined,
  options: { verifyBinaries?: boolean } = {},
): Promise<BuildReport> {
  const standIn: BuildContext["run"] = async (invocation) => {
    if (content) {
      await writeLayout(layoutDirOf(invocation), content, builder === "buildkit" ? { refName: tag } : {});
    }
    return { exitCode: 0, tail: [] };
  };
  return build(
    {
      buildArgs: [],
      labels: [],
      emulate: false,
      verifyBinaries: options.verifyBinaries ?? false,
      passThrough: [],
      insecureRegistries: [],
      image: `${proxy.host}/team/app`,
      tagTemplate: tag,
      builder,
      pushWith: "polyarch",
    },
    {
      env: ciEnv,
      cwd: dir.path,
      hostPlatform: async () => amd64,
      detectBuilders: async () => ({ present: [builder], overlayUsable: true }),
      readFile: (path) => readFile(path, "utf8").catch(() => undefined),
      credential: async () => undefined,
      openRepository: (reference) => openStore(reference, client),
      run: standIn,
      scrub: (text) => text,
      log: () => {},
      tempDir: dir.path,
    },
  );
}

async function buildError(...args: Parameters<typeof buildWith>) {
  const error = await buildWith(...args).catch((caught: unknown) => caught);
  if (!isPolyarchError(error)) throw new Error(`expected a PolyarchError, got ${String(error)}`);
  return error;
}

describe("polyarch build --push-with polyarch: the builder's layout is checked, then pushed by polyarch", () => {
  it("pushes Kaniko's unnamed layout entry to the tag, and checks its binaries first", async () => {
    const image = await busyboxImage({ arch: "amd64" });
    const report = await buildWith("kaniko", "{arch}-kaniko", image, { verifyBinaries: true });
    expect(report).toMatchObject({
      digest: image.manifest.digest,
      tag: "amd64-kaniko",
      action: "created",
      binaries: { checked: 1 },
    });
    expect(report.size.layers).toBe(image.layers[0]?.size);
    expect((await fetchManifest(registry, "team/app", "amd64-kaniko")).digest).toBe(image.manifest.digest);
  });

  it("pushes BuildKit's index with its attestation, checked through the child for the platform", async () => {
    const image = await busyboxImage({ arch: "amd64" });
    const index = indexOf([image, await attestationFor(image)]);
    const report = await buildWith("buildkit", "{arch}-buildkit", index);
    expect(report.digest).toBe(index.manifest.digest);
    expect((await fetchManifest(registry, "team/app", "amd64-buildkit")).digest).toBe(index.manifest.digest);
    for (const child of index.images) {
      expect((await fetchManifest(registry, "team/app", child.manifest.digest)).status).toBe(200);
    }
  });

  it("writes nothing when the tag already names the image (a re-run of a reproducible build)", async () => {
    const image = await busyboxImage({ arch: "amd64", applets: ["sh"] });
    expect((await buildWith("kaniko", "{arch}-again", image)).action).toBe("created");
    proxy.reset();
    expect((await buildWith("kaniko", "{arch}-again", image)).action).toBe("unchanged");
    expect(writes(proxy)).toEqual([]);
  });

  it("pushes nothing when the config says another platform, and names the config", async () => {
    const image = await busyboxImage({ arch: "amd64", labelAs: { os: "linux", architecture: "arm64" } });
    proxy.reset();
    const error = await buildError("kaniko", "{arch}-lying", image);
    expect(error.code).toBe("POLYARCH_E_BUILT_PLATFORM");
    expect(error.message).toContain(
      `team/app:amd64-lying@${image.manifest.digest} was built for linux/amd64 but its config (${image.config.digest}) says linux/arm64`,
    );
    expect(writes(proxy)).toEqual([]);
    expect((await fetchManifest(registry, "team/app", "amd64-lying")).status).toBe(404);
  });

  it("pushes nothing when an index lacks the platform built for", async () => {
    const image = await busyboxImage({ arch: "arm64" });
    const error = await buildError("buildkit", "{arch}-noplatform", indexOf([image]));
    expect(error.code).toBe("POLYARCH_E_BUILT_PLATFORM");
    expect(error.message).toContain("was built as an index without a linux/amd64 image");
    expect((await fetchManifest(registry, "team/app", "amd64-noplatform")).status).toBe(404);
  });

  it("fails, naming the directory, when the builder exits 0 but leaves no image", async () => {
    const error = await buildError("kaniko", "{arch}-empty", undefined);
    expect(error.code).toBe("POLYARCH_E_BUILDER_OUTPUT");
    expect(error.message).toMatch(/kaniko exited successfully but left no image in \/.*\/image, where/);
    expect((await fetchManifest(registry, "team/app", "amd64-empty")).status).toBe(404);
  });
});
