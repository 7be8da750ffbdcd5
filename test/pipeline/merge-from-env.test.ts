import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type FaultProxy,
  fetchManifest,
  type Image,
  pushImage,
  type Registry,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { polyarch, through, writes } from "./support.ts";

// The merge job of a pipeline: its sources are the POLYARCH_IMAGE_<ARCH> variables GitLab passes from the
// build jobs' dotenv reports. The registry is real; the fault proxy plays a registry with immutable tags.
let registry: Registry;
let proxy: FaultProxy;
let dir: TempDir;
let amd64: Image;
let arm64: Image;
let other: Image;

const IMMUTABLE = {
  code: "TAG_INVALID",
  message:
    "The image tag 'latest' already exists in the 'team/app' repository and cannot be overwritten because the repository is immutable.",
};

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  dir = await tempDir();
  const via = through(registry, proxy);
  amd64 = await syntheticImage({ platform: { os: "linux", architecture: "amd64" }, seed: "env-amd64" });
  arm64 = await syntheticImage({ platform: { os: "linux", architecture: "arm64" }, seed: "env-arm64" });
  other = await syntheticImage({ platform: { os: "linux", architecture: "amd64" }, seed: "env-other" });
  await pushImage(via, "team/app", "amd64-1a2b-1", amd64);
  await pushImage(via, "team/app", "arm64-1a2b-1", arm64);
  await pushImage(via, "team/app", "old", other);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await dir?.remove();
});

beforeEach(() => proxy.reset());

const buildJobs = () => ({
  POLYARCH_IMAGE_AMD64: `${proxy.host}/team/app@${amd64.manifest.digest}`,
  POLYARCH_DIGEST_AMD64: amd64.manifest.digest,
  POLYARCH_IMAGE_ARM64: `${proxy.host}/team/app@${arm64.manifest.digest}`,
  POLYARCH_DIGEST_ARM64: arm64.manifest.digest,
});

const mergeFromEnv = (target: string, env: Record<string, string>, ...extra: string[]) =>
  polyarch(["merge", "--from-env", "--target", `${proxy.host}/team/app:${target}`, ...extra], { env });

describe("polyarch merge --from-env", () => {
  it("merges every POLYARCH_IMAGE_<ARCH> by digest and writes POLYARCH_INDEX and POLYARCH_DIGESTS", async () => {
    const dotenv = join(dir.path, "merge.env");
    const run = await mergeFromEnv(
      "v1",
      buildJobs(),
      "--platforms",
      "linux/amd64,linux/arm64",
      "--dotenv",
      dotenv,
    );
    expect(run.stderr).not.toContain("polyarch:");
    expect(run.code).toBe(0);
    const index = await fetchManifest(registry, "team/app", "v1");
    expect(JSON.parse(index.bytes.toString()).manifests.map((m: { digest: string }) => m.digest)).toEqual([
      amd64.manifest.digest,
      arm64.manifest.digest,
    ]);
    const repository = `${proxy.host}/team/app`;
    expect(await readFile(dotenv, "utf8")).toBe(
      `POLYARCH_INDEX=${repository}@${index.digest}\n` +
        `POLYARCH_DIGESTS=${repository}@${amd64.manifest.digest},${repository}@${arm64.manifest.digest}\n`,
    );
    // Sources are read by digest: no tag of a build job is ever asked for.
    expect(proxy.counter.requests.filter((r) => /manifests\/(amd64|arm64)-/.test(r.path))).toEqual([]);
  });

  it("re-runs against immutable tags that already point at the index without writing anything", async () => {
    expect((await mergeFromEnv("v2", buildJobs(), "--tags", "stable")).code).toBe(0);
    proxy.reset();
    const refusal = proxy.inject({
      type: "status",
      status: 400,
      method: "PUT",
      times: Infinity,
      errors: [IMMUTABLE],
    });
    const run = await mergeFromEnv("v2", buildJobs(), "--tags", "stable");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("unchanged");
    expect(writes(proxy)).toEqual([]);
    expect(refusal.hits).toBe(0);
  });

  it("names immutability when a tag points elsewhere and the registry refuses to move it", async () => {
    const refusal = proxy.inject({
      type: "status",
      status: 400,
      method: "PUT",
      path: /manifests\/old$/,
      errors: [IMMUTABLE],
    });
    const run = await mergeFromEnv("old", buildJobs());
    expect(run.code).toBe(1);
    expect(refusal.hits).toBe(1);
    expect(run.stderr).toContain(`team/app:old points at ${other.manifest.digest}`);
    expect(run.stderr).toMatch(/its tags are immutable/);
    expect((await fetchManifest(registry, "team/app", "old")).digest).toBe(other.manifest.digest);
  });

  it("fails when a child's config is not the architecture its variable names", async () => {
    const env = { ...buildJobs(), POLYARCH_IMAGE_ARM64: `${proxy.host}/team/app@${amd64.manifest.digest}` };
    const run = await mergeFromEnv("mislabelled", env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is merged as linux/arm64 but its config says linux/amd64");
    expect(writes(proxy)).toEqual([]);
  });

  const digestRef = `registry.example.com/team/app@sha256:${"0".repeat(64)}`;
  it.each<[string, () => Record<string, string>, string[], string]>([
    ["no build job's variables", () => ({}), [], "no POLYARCH_IMAGE_<ARCH> variable is set"],
    [
      "a platform no job built",
      () => ({ POLYARCH_IMAGE_AMD64: buildJobs().POLYARCH_IMAGE_AMD64 }),
      ["--platforms", "linux/amd64,linux/arm64"],
      "no build job passed POLYARCH_IMAGE_ARM64",
    ],
    [
      "a tag instead of a digest",
      () => ({ POLYARCH_IMAGE_AMD64: "registry.example.com/team/app:amd64" }),
      [],
      "is not a reference by digest",
    ],
    [
      "an unknown architecture",
      () => ({ POLYARCH_IMAGE_SPARC9: digestRef }),
      [],
      '"SPARC9" is not an architecture',
    ],
  ])("exits 2 naming what is missing or malformed: %s", async (_, env, extra, message) => {
    const run = await mergeFromEnv("bad", env(), ...extra);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(writes(proxy)).toEqual([]);
  });
});
