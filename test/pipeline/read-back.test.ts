import { isPolyarchError, RegistryClient } from "@polyarch/oci";
import { readBack } from "@polyarch/pipeline";
import {
  attestationFor,
  busyboxImage,
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  startRegistry,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What BuildKit pushes by default (an index of the image and its provenance attestation) and what Kaniko's
// architecture-blind cache pushes (a config that lies), read back from a real registry.
let registry: Registry;
let client: RegistryClient;
const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
});

afterAll(async () => {
  await client?.close();
  await registry?.stop();
});

/** The error reading `repository@digest` back as `expected` fails with. */
async function readBackError(repository: string, tag: string, digest: string, expected: typeof amd64) {
  const store = client.repository(registry.host, repository);
  const error = await readBack(store, `${repository}:${tag}`, digest, expected, { binaries: false }).catch(
    (caught: unknown) => caught,
  );
  if (!isPolyarchError(error)) throw new Error(`expected a PolyarchError, got ${String(error)}`);
  return error;
}

describe("readBack", () => {
  it("reads a BuildKit-style index through its child for the platform, skipping the attestation", async () => {
    const image = await busyboxImage({ arch: "amd64" });
    const index = indexOf([image, await attestationFor(image)]);
    const { digest } = await pushIndex(registry, "team/buildkit", "amd64-1", index);
    const pushed = await readBack(
      client.repository(registry.host, "team/buildkit"),
      "team/buildkit:amd64-1",
      digest,
      amd64,
      {
        binaries: true,
      },
    );
    expect(pushed).toMatchObject({ digest, platform: amd64, binaries: { checked: 1 } });
    expect(pushed.size.layers).toBe(image.layers[0]?.size);
  });

  it("fails an index without the platform built for", async () => {
    const image = await busyboxImage({ arch: "amd64" });
    const { digest } = await pushIndex(registry, "team/buildkit", "arm64-1", indexOf([image]));
    const error = await readBackError("team/buildkit", "arm64-1", digest, arm64);
    expect(error.code).toBe("POLYARCH_E_PUSHED_PLATFORM");
    expect(error.message).toContain("pushed as an index without a linux/arm64 image");
  });

  it("fails an image whose config says another platform, naming the config", async () => {
    const image = await busyboxImage({ arch: "amd64", labelAs: arm64 });
    const { digest } = await pushImage(registry, "team/kaniko", "arm64-1", image);
    const error = await readBackError("team/kaniko", "arm64-1", digest, amd64);
    expect(error.code).toBe("POLYARCH_E_PUSHED_PLATFORM");
    expect(error.message).toContain(
      `@${digest} was built for linux/amd64 but its config (${image.config.digest}) says linux/arm64`,
    );
  });
});
