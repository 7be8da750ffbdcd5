import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, skopeo, startRegistry, vfsStorage } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch, pushBase, workspace } from "./support.ts";

// polyarch build --cache-repo with Buildah for real: a RUN step that writes random bytes, built in one
// job's storage, then again in a fresh storage (a new CI job on another runner). Only the registry cache
// can make the second build's RUN layer the first's. Each platform's cache is its own repository.
let registry: Registry;
let work: Awaited<ReturnType<typeof workspace>>;

beforeAll(async () => {
  registry = await startRegistry();
  await pushBase(registry);
  work = await workspace(registry);
  await writeFile(
    join(work.context, "Dockerfile"),
    `FROM ${registry.host}/base/busybox:1\nRUN /bin/busybox head -c 32 /dev/urandom > /random\n`,
  );
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await work?.dir.remove();
});

/** A build as a fresh job does it: storage of its own, its own pipeline id (so its own tag). */
async function freshBuild(job: string, flags: string[]): Promise<{ digest: string; layers: string[] }> {
  await mkdir(join(work.dir.path, job));
  const storage = await vfsStorage(join(work.dir.path, job));
  const run = await polyarch(
    ["build", "--context", work.context, "--image", `${registry.host}/team/app`, "--json", ...flags],
    { env: { ...work.env, ...storage, CI_PIPELINE_ID: job }, cwd: work.dir.path },
  );
  if (run.code !== 0) throw new Error(run.stderr);
  const { reference } = JSON.parse(run.stdout) as { reference: string };
  const manifest = JSON.parse(await skopeo(["inspect", "--raw", `docker://${reference}`])) as {
    layers: Array<{ digest: string }>;
  };
  return { digest: reference, layers: manifest.layers.map((layer) => layer.digest) };
}

const cacheRepo = () => `${registry.host}/team/app/cache`;

/** The tags of one platform's cache repository, read by skopeo; none when it does not exist. */
async function cacheTags(platform: string): Promise<string[]> {
  try {
    const listed = JSON.parse(await skopeo(["list-tags", `docker://${cacheRepo()}/${platform}`])) as {
      Tags: string[];
    };
    return listed.Tags.sort();
  } catch {
    return [];
  }
}

describe("polyarch build --cache-repo with Buildah", () => {
  it("a fresh job reuses the RUN step's layer from the registry cache; without the cache it does not", async () => {
    const first = await freshBuild("1", ["--cache-repo", cacheRepo()]);
    const second = await freshBuild("2", ["--cache-repo", cacheRepo()]);
    const uncached = await freshBuild("3", []);
    expect(first.layers).toHaveLength(2);
    expect(second.layers).toEqual(first.layers);
    expect(uncached.layers[1]).not.toBe(first.layers[1]);
    expect((await cacheTags("linux-amd64")).length).toBeGreaterThan(0);
  }, 300_000);

  it("keeps each architecture's cache apart: an arm64 build neither reads nor writes the amd64 cache", async () => {
    await freshBuild("4", ["--cache-repo", cacheRepo()]);
    const amd64 = await freshBuild("5", ["--cache-repo", cacheRepo()]);
    const arm64 = await freshBuild("6", [
      "--cache-repo",
      cacheRepo(),
      "--platform",
      "linux/arm64",
      "--emulate",
    ]);
    expect(arm64.layers[1]).not.toBe(amd64.layers[1]);
    const arm64Tags = JSON.parse(await skopeo(["list-tags", `docker://${cacheRepo()}/linux-arm64`])) as {
      Tags: string[];
    };
    expect(arm64Tags.Tags.length).toBeGreaterThan(0);
  }, 300_000);
});
