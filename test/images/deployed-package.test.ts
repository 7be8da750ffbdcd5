import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  indexOf,
  pushIndex,
  type Registry,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExecutor, runPolyarch } from "../support/process.ts";
import { prepareContext } from "../support/tool-image.ts";

// The package images/polyarch/prepare-context writes (what the tool image ships in /opt/polyarch), written
// with an empty pnpm store and cache (a new machine's), then copied to a directory of its own with nothing
// beside it: a file the bundle reads from outside dist/, or a dependency it does not carry, fails here.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let cold: TempDir;
let alone: TempDir;
let registry: Registry;
let packageDir: string;

beforeAll(async () => {
  cold = await tempDir("polyarch-cold-store-");
  alone = await tempDir("polyarch-deployed-");
  const context = join(cold.path, "context");
  await prepareContext(context, {
    env: { npm_config_store_dir: join(cold.path, "store"), npm_config_cache_dir: join(cold.path, "cache") },
  });
  packageDir = join(alone.path, "polyarch");
  await cp(join(context, "polyarch"), packageDir, { recursive: true });
  await cold.remove();
  registry = await startRegistry();
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await cold?.remove();
  await alone?.remove();
});

/** Runs the deployed polyarch from a working directory inside its own temp dir, nothing else around. */
const deployed = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runPolyarch(args, { packageDir, cwd: alone.path, ...options });

describe("the deployed polyarch package, on its own", () => {
  it("is the launchers, their bundles and a manifest: nothing to install", async () => {
    expect((await readdir(packageDir)).sort()).toEqual(["README.md", "bin", "dist", "package.json"]);
    expect((await readdir(join(packageDir, "bin"))).sort()).toEqual(["polyarch-executor.js", "polyarch.js"]);
    expect((await readdir(join(packageDir, "dist"))).sort()).toEqual(["bin"]);
  });

  it("carries the license of every package whose code its bundles hold", async () => {
    const notices = await readFile(join(packageDir, "dist/bin/THIRD-PARTY-NOTICES.txt"), "utf8");
    // commander is in every bundle; its LICENSE as the package ships it (node_modules of packages/cli).
    const commander = join(ROOT, "packages/cli/node_modules/commander");
    const { version } = JSON.parse(await readFile(join(commander, "package.json"), "utf8")) as {
      version: string;
    };
    expect(notices).toContain(
      `commander@${version} (MIT)\n\n${(await readFile(join(commander, "LICENSE"), "utf8")).trim()}`,
    );
    expect(notices).toMatch(/^undici@\S+ \(MIT\)$/m);
  });

  it("prints the cli package's version", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, "packages/cli/package.json"), "utf8")) as {
      version: string;
    };
    const run = await deployed(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it("checks the example pipeline's CI file against GitLab's schema", async () => {
    await cp(join(ROOT, "examples/pipeline"), join(alone.path, "pipeline"), { recursive: true });
    const run = await deployed(["ci", "check", "pipeline/.gitlab-ci.yml"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("pipeline/.gitlab-ci.yml, ci/polyarch.yml: valid");
  });

  it("renders the example fleet as the repository's build does", async () => {
    const fleet = join(ROOT, "examples/fleet.yaml");
    const run = await deployed(["render", fleet, "--stdout", "config"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\[\[runners\]\]\n {2}name = "k8s-multiarch"$/m);
    expect(run.stdout).toBe((await runPolyarch(["render", fleet, "--stdout", "config"])).stdout);
  });

  it("inspects an index in a registry, byte for byte", async () => {
    const images = await Promise.all(
      (["amd64", "arm64"] as const).map((architecture) =>
        syntheticImage({ platform: { os: "linux", architecture }, seed: "deployed" }),
      ),
    );
    const index = indexOf(images);
    await pushIndex(registry, "deployed/app", "1", index);
    const run = await deployed(["inspect", "--raw", `${registry.host}/deployed/app:1`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(index.manifest.bytes.toString());
  });

  it("polyarch-executor answers the config stage from its settings", async () => {
    const settings = join(alone.path, "executor.yaml");
    await writeFile(settings, `state_dir: ${join(alone.path, "state")}\n`);
    const job = { CI_JOB_ID: "31", CI_RUNNER_ID: "7", CI_PROJECT_ID: "42", CI_CONCURRENT_ID: "1" };
    const run = await runExecutor(["config", "--settings", settings], {
      packageDir,
      cwd: alone.path,
      env: Object.fromEntries(Object.entries(job).map(([name, value]) => [`CUSTOM_ENV_${name}`, value])),
    });
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { builds_dir: string; job_env: Record<string, string> };
    expect(output.builds_dir).toBe("/builds");
    expect(Object.values(output.job_env)[0]).toMatch(new RegExp(`^${join(alone.path, "state")}/`));
  });
});
