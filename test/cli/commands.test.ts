import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type Image,
  indexOf,
  pushImage,
  pushIndex,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helperImage, pushPerArch, REPOSITORY } from "../helper-image/upstream.ts";
import { polyarch } from "../support/cli.ts";
import { runExecutor, runPolyarch } from "../support/process.ts";

// Every command of the shipped binaries, doing its work as a process from the built launcher
// (packages/cli/bin/, loading the bundle in dist/bin/), against one registry for the file. The in-process
// tests beside this one (test/support/cli.ts) run the sources and are faster; they do not stand for the
// binary. Commands whose process-level run is slow and already happens elsewhere are named in ELSEWHERE.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE_FLEET = join(ROOT, "examples/fleet.yaml");
const EXAMPLE_PIPELINE = join(ROOT, "examples/pipeline");

/** Where a command runs as a process, when not in this file. */
const ELSEWHERE: Record<string, string> = {
  "polyarch inspect": "test/cli/bin.test.ts",
  "polyarch build": "test/reliability/interrupt.test.ts, test/ci/pipeline.test.ts",
  "polyarch demo": "test/cli/demo.test.ts",
  "polyarch-executor config": "test/executor/bundle.test.ts",
  "polyarch-executor prepare": "test/executor/bundle.test.ts",
  "polyarch-executor run": "test/executor/bundle.test.ts",
  "polyarch-executor cleanup": "test/executor/bundle.test.ts",
  "polyarch-executor doctor": "test/executor/bundle.test.ts",
};
/** The commands this file runs (each `describe` below is named after one). */
const HERE = [
  "polyarch merge",
  "polyarch push from-args",
  "polyarch push from-spec",
  "polyarch mirror",
  "polyarch sync",
  "polyarch helper plan",
  "polyarch helper refresh",
  "polyarch render",
  "polyarch ci components",
  "polyarch ci template",
  "polyarch ci check",
];

let registry: Registry;
let work: TempDir;
let host: string;

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  work = await tempDir("polyarch-commands-");
  const images: Image[] = [];
  for (const architecture of ["amd64", "arm64"]) {
    const image = await syntheticImage({ platform: { os: "linux", architecture }, seed: "commands" });
    await pushImage(registry, "src/app", architecture, image);
    images.push(image);
  }
  await pushIndex(registry, "src/multi", "1", indexOf(images));
});

afterAll(async () => {
  await registry?.stop();
  await work?.remove();
});

/** A file in this run's work directory. */
async function file(name: string, text: string): Promise<string> {
  const path = join(work.path, name);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** A manifest-tool spec file listing src/app's two images for `target` (a repository:tag on the registry). */
function manifestToolSpec(target: string): Promise<string> {
  const entries = ["amd64", "arm64"].map(
    (arch) => `  - image: ${host}/src/app:${arch}\n    platform: { os: linux, architecture: ${arch} }\n`,
  );
  return file(
    `${target.replaceAll(/[/:]/g, "-")}.yaml`,
    `image: ${host}/${target}\nmanifests:\n${entries.join("")}`,
  );
}

/** The children's platforms of the index at `reference`, as skopeo reads it. */
async function platformsAt(reference: string): Promise<string[]> {
  const index = JSON.parse((await skopeoInspectRaw(reference)).toString()) as {
    manifests: Array<{ platform: { os: string; architecture: string } }>;
  };
  return index.manifests.map(({ platform }) => `${platform.os}/${platform.architecture}`).sort();
}

/** The commands `polyarch --help` lists, and each group's subcommands (read in-process: many quick runs). */
async function polyarchCommands(prefix: string[] = []): Promise<string[]> {
  const commands: string[] = [];
  for (const name of listedIn((await polyarch([...prefix, "--help"])).stdout)) {
    const group = (await polyarch([...prefix, name, "--help"])).stdout;
    if (/^Commands:$/m.test(group)) commands.push(...(await polyarchCommands([...prefix, name])));
    else commands.push(["polyarch", ...prefix, name].join(" "));
  }
  return commands;
}

/** The command names under a help text's `Commands:`, `help` aside. */
function listedIn(help: string): string[] {
  return [...(help.split(/^Commands:\n/m)[1] ?? "").split("\n\n")[0]!.matchAll(/^ {2}(\S+)/gm)]
    .map((match) => match[1]!)
    .filter((name) => name !== "help");
}

describe("the shipped binaries", () => {
  it("have every command run as a process here or in a file ELSEWHERE names", async () => {
    const executorHelp = await runExecutor(["--help"]);
    expect(executorHelp.code).toBe(0);
    const listed = [
      ...(await polyarchCommands()),
      ...listedIn(executorHelp.stdout).map((name) => `polyarch-executor ${name}`),
    ];
    expect(listed.length).toBeGreaterThan(15);
    expect(listed.sort()).toEqual([...HERE, ...Object.keys(ELSEWHERE)].sort());
    const named = new Set(Object.values(ELSEWHERE).flatMap((files) => files.split(", ")));
    for (const test of named) expect(existsSync(join(ROOT, test)), test).toBe(true);
  });
});

describe("polyarch merge", () => {
  it("merges two images into an index and prints it by digest", async () => {
    const run = await runPolyarch([
      "merge",
      "--target",
      `${host}/out/merged:1`,
      `${host}/src/app:amd64`,
      `${host}/src/app:arm64`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const raw = await skopeoInspectRaw(`${host}/out/merged:1`);
    expect(run.stdout).toBe(`${host}/out/merged@${sha256Digest(raw)}\n`);
    expect(await platformsAt(`${host}/out/merged:1`)).toEqual(["linux/amd64", "linux/arm64"]);
  });

  it("--spec reads manifest-tool YAML (its own chunk)", async () => {
    const run = await runPolyarch(["merge", "--spec", await manifestToolSpec("out/spec:1")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `${host}/out/spec@${sha256Digest(await skopeoInspectRaw(`${host}/out/spec:1`))}\n`,
    );
    expect(await platformsAt(`${host}/out/spec:1`)).toEqual(["linux/amd64", "linux/arm64"]);
  });
});

describe("polyarch push from-args", () => {
  it("pushes a list from manifest-tool's flags and prints manifest-tool's Digest line", async () => {
    const run = await runPolyarch([
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${host}/src/app:ARCH`,
      "--target",
      `${host}/out/from-args:1`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const raw = await skopeoInspectRaw(`${host}/out/from-args:1`);
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
    expect(await platformsAt(`${host}/out/from-args:1`)).toEqual(["linux/amd64", "linux/arm64"]);
  });
});

describe("polyarch push from-spec", () => {
  it("pushes a list from a manifest-tool spec file", async () => {
    const run = await runPolyarch(["push", "from-spec", await manifestToolSpec("out/from-spec:1")]);
    expect(run.code, run.stderr).toBe(0);
    const raw = await skopeoInspectRaw(`${host}/out/from-spec:1`);
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
    expect(await platformsAt(`${host}/out/from-spec:1`)).toEqual(["linux/amd64", "linux/arm64"]);
  });
});

describe("polyarch mirror", () => {
  it("copies an index into an oci: layout, byte for byte", async () => {
    const layout = join(work.path, "mirror-layout");
    const run = await runPolyarch(["mirror", `${host}/src/multi:1`, `oci:${layout}:1`]);
    expect(run.code, run.stderr).toBe(0);
    const copied = await skopeoInspectRaw(`oci:${layout}:1`);
    expect(copied.equals(await skopeoInspectRaw(`${host}/src/multi:1`))).toBe(true);
  });
});

describe("polyarch sync", () => {
  it("mirrors the tags a sync spec selects, then changes nothing on a re-run", async () => {
    const spec = await file(
      "sync.yaml",
      `images:\n  - source: ${host}/src/multi\n    target: ${host}/out/synced\n    tags: { allow: ['\\d+'] }\n`,
    );
    const first = await runPolyarch(["sync", spec, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(await platformsAt(`${host}/out/synced:1`)).toEqual(["linux/amd64", "linux/arm64"]);
    const again = await runPolyarch(["sync", spec, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { counts: object }).counts).toMatchObject({
      created: 0,
      unchanged: 1,
    });
  });
});

describe("polyarch helper", () => {
  const spec = () =>
    file(
      "helper.yaml",
      [
        "upstream:",
        `  registry: ${host}`,
        `  repository: ${REPOSITORY}`,
        "versions: { range: '>=18.9.0', latest: 1 }",
        "flavors: [alpine]",
        "architectures: [x86_64, arm64]",
        `target: { repository: ${host}/platform/helper, tag: 'v{version}' }`,
        "verify: { binaries: [/usr/bin/gitlab-runner-helper] }",
        "",
      ].join("\n"),
    );

  beforeAll(async () => {
    for (const arch of ["amd64", "arm64"] as const)
      await pushPerArch(
        registry,
        "alpine",
        arch,
        "18.9.0",
        await helperImage(arch, { flavor: "alpine", version: "18.9.0" }),
      );
  });

  it("plan shows the pending version, then refresh stitches it and a second plan finds it unchanged", async () => {
    const plan = await runPolyarch(["helper", "plan", await spec(), "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const pending = JSON.parse(plan.stdout) as { items: Array<{ version: string; action: string }> };
    expect(pending.items.map(({ version, action }) => [version, action])).toEqual([["18.9.0", "pending"]]);

    const refresh = await runPolyarch(["helper", "refresh", await spec()]);
    expect(refresh.code, refresh.stderr).toBe(0);
    const raw = await skopeoInspectRaw(`${host}/platform/helper:v18.9.0`);
    expect(refresh.stdout).toBe(`${host}/platform/helper:v18.9.0@${sha256Digest(raw)}\n`);
    expect(await platformsAt(`${host}/platform/helper:v18.9.0`)).toEqual(["linux/amd64", "linux/arm64"]);

    const again = await runPolyarch(["helper", "plan", await spec(), "--json"]);
    const current = JSON.parse(again.stdout) as { items: Array<{ action: string }> };
    expect(current.items.map(({ action }) => action)).toEqual(["unchanged"]);
  });
});

describe("polyarch render", () => {
  it("writes config.toml, values.yaml and the secret example for the example fleet, as the sources render them", async () => {
    const out = join(work.path, "rendered");
    const run = await runPolyarch(["render", EXAMPLE_FLEET, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const config = await readFile(join(out, "config.toml"), "utf8");
    const toml = parseToml(config) as { runners: Array<{ name: string; executor: string }> };
    expect(toml.runners.map(({ name, executor }) => [name, executor])).toEqual([
      ["k8s-multiarch", "kubernetes"],
      ["arm64-host-1", "custom"],
    ]);
    expect(await readFile(join(out, "values.yaml"), "utf8")).toMatch(/^runners:$/m);
    expect(await readFile(join(out, "secret.example.yaml"), "utf8")).toMatch(/^kind: Secret$/m);
    // The bundle renders what the sources (every in-process render test) render.
    expect(config).toBe((await polyarch(["render", EXAMPLE_FLEET, "--stdout", "config"])).stdout);
  });
});

describe("polyarch ci template", () => {
  it("writes the multi-arch-image component's jobs, which ci check accepts", async () => {
    const project = join(work.path, "template-project");
    await cp(join(EXAMPLE_PIPELINE, ".gitlab-ci.yml"), join(project, ".gitlab-ci.yml"));
    const run = await runPolyarch(["ci", "template", "--out", join(project, "ci/polyarch.yml")]);
    expect(run.code, run.stderr).toBe(0);
    const template = await readFile(join(project, "ci/polyarch.yml"), "utf8");
    expect(template).toMatch(/^# Generated by: polyarch ci template --component multi-arch-image\n/);
    for (const job of ["image-build", "image-merge"]) expect(template).toMatch(new RegExp(`^${job}:$`, "m"));
    const check = await runPolyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: project });
    expect(check.code, check.stderr).toBe(0);
  });
});

describe("polyarch ci components", () => {
  it("writes every component file, byte for byte the committed templates/", async () => {
    const out = join(work.path, "templates");
    const run = await runPolyarch(["ci", "components", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const committed = (await readdir(join(ROOT, "templates"))).sort();
    expect((await readdir(out)).sort()).toEqual(committed);
    for (const file of committed)
      expect(await readFile(join(out, file), "utf8"), file).toBe(
        await readFile(join(ROOT, "templates", file), "utf8"),
      );
  });
});

describe("polyarch ci check", () => {
  /** examples/pipeline as a repository of its own, at `dir` under the work directory. */
  async function repository(dir: string): Promise<string> {
    const path = join(work.path, dir);
    await cp(EXAMPLE_PIPELINE, path, { recursive: true });
    await promisify(execFile)("git", ["init", "--quiet", path]);
    return path;
  }

  it("checks a valid file against GitLab's schema (shipped in the bundle) and its local include", async () => {
    const repo = await repository("check-valid");
    const run = await runPolyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: repo });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      ".gitlab-ci.yml, ci/polyarch.yml: valid (GitLab CI schema and polyarch's pipeline checks)\n",
    );
  });

  it("names a key GitLab's schema refuses, and exits 2", async () => {
    const repo = await repository("check-invalid");
    const text = await readFile(join(repo, ".gitlab-ci.yml"), "utf8");
    await writeFile(join(repo, ".gitlab-ci.yml"), `${text}hello-build:\n  artifactz: {}\n`);
    const run = await runPolyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('hello-build: unknown key "artifactz" (GitLab CI schema)');
  });

  it("run from another directory, finds include: local: from the file's repository root", async () => {
    const repo = await repository("elsewhere/repo");
    // A CI file below the root: GitLab still reads `local: ci/polyarch.yml` from the root.
    await mkdir(join(repo, "sub"));
    await cp(join(repo, ".gitlab-ci.yml"), join(repo, "sub/.gitlab-ci.yml"));
    for (const path of ["repo/.gitlab-ci.yml", "repo/sub/.gitlab-ci.yml"]) {
      const run = await runPolyarch(["ci", "check", path], { cwd: join(work.path, "elsewhere") });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        `${path}, ci/polyarch.yml: valid (GitLab CI schema and polyarch's pipeline checks)\n`,
      );
    }
  });

  it("outside any repository, finds include: local: from the file's own directory", async () => {
    const plain = join(work.path, "not-a-repository");
    await cp(EXAMPLE_PIPELINE, plain, { recursive: true });
    const run = await runPolyarch(["ci", "check", join(plain, ".gitlab-ci.yml")], { cwd: work.path });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});
