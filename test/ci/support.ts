import { execFile } from "node:child_process";
import { constants, createReadStream } from "node:fs";
import { access, cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { verifyBinaries } from "@polyarch/elf";
import {
  busyboxImage,
  indexOf,
  pushIndex,
  type Registry,
  skopeo,
  startRegistry,
  type TempDir,
  tempDir,
  vfsStorage,
} from "@polyarch/test-harness";
import { expect } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GITLAB_CI_LOCAL = join(ROOT, "node_modules/gitlab-ci-local/dist/index.js");
const run = promisify(execFile);
const fs = { cp, mkdir, readFile, writeFile };

/**
 * A project as gitlab-ci-local needs it: the files of `example` (or none) copied into a temp dir made a git
 * repository with a commit and a remote (gitlab-ci-local derives CI_PROJECT_* and the commit from them),
 * `polyarch` on PATH (the workspace's build), and Buildah storage of its own for each job.
 */
export async function pipelineProject(example?: string): Promise<{
  dir: TempDir;
  project: string;
  env: Record<string, string>;
}> {
  const dir = await tempDir("polyarch-ci-e2e-");
  const project = join(dir.path, "project");
  if (example === undefined) await fs.mkdir(project, { recursive: true });
  else await fs.cp(join(ROOT, example), project, { recursive: true });
  const bin = join(dir.path, "bin");
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(
    join(bin, "polyarch"),
    `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "packages/cli/bin/polyarch.js")}" "$@"\n`,
    { mode: 0o755 },
  );
  // polyarch build runs buildah itself: storage of its own (vfs) and no credentials from this machine.
  // Each job gets storage of its own, as on GitLab each job of these topologies runs on its own runner
  // or in its own pod: one containers storage holds one image per name, so two jobs pulling one base
  // for two platforms into it at once take the name from each other (containers/storage#915: "locating
  // pulled image ... image not known", seen here once in ~50 runs of the two-images pipeline).
  await fs.mkdir(join(dir.path, "home"), { recursive: true });
  const storage = await vfsStorage(dir.path);
  const slug = `\${CI_JOB_NAME_SLUG:?a job's storage is named by CI_JOB_NAME_SLUG}`;
  const jobStorage = join(dir.path, "storage", slug);
  await fs.writeFile(
    join(bin, "buildah"),
    `#!/bin/sh\nexec "${await onPath("buildah")}" --root "${jobStorage}/root" --runroot "${jobStorage}/run" "$@"\n`,
    { mode: 0o755 },
  );
  await fs.writeFile(join(dir.path, "auth.json"), '{"auths":{}}\n');
  const env = {
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: join(dir.path, "home"),
    TMPDIR: dir.path,
    ...storage,
    REGISTRY_AUTH_FILE: join(dir.path, "auth.json"),
    DOCKER_CONFIG: join(dir.path, "docker"),
    GIT_AUTHOR_NAME: "polyarch test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "polyarch test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };
  return { dir, project, env };
}

/** The absolute path of `program` on this process's PATH (for a wrapper of the same name to run). */
async function onPath(program: string): Promise<string> {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const path = join(dir, program);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  throw new Error(`${program} is not on PATH: run bash .ci/system-packages`);
}

/** Commits the project as it is now (gitlab-ci-local reads the commit and the remote). */
export async function commitProject(project: string, env: Record<string, string>): Promise<void> {
  const git = (args: string[]) => run("git", args, { cwd: project, env });
  await git(["init", "--quiet", "--initial-branch", "main"]);
  await git(["remote", "add", "origin", "https://gitlab.example.com/team/hello.git"]);
  await git(["add", "-A"]);
  await git(["commit", "--quiet", "-m", "pipeline under test"]);
}

/**
 * What a failed gitlab-ci-local run is reported with: the last lines of each failed job (gitlab-ci-local
 * prints "JOB finished in … FAIL N" for it, and prefixes the job's lines with "JOB >"), not the run's last
 * lines, which belong to whichever jobs finished last. With no failed job named, the run's last 60 lines.
 */
export function pipelineFailure(output: string): string {
  const lines = output.split("\n");
  const failed = lines.flatMap((line) => /^(.+?) finished in .* FAIL \d+/.exec(line)?.[1]?.trim() ?? []);
  if (failed.length === 0) return lines.slice(-60).join("\n");
  const ofJob = (job: string) =>
    lines.filter((line) => line.startsWith(job) && /^ *>/.test(line.slice(job.length))).slice(-40);
  return failed.map((job) => [`${job} failed:`, ...ofJob(job)].join("\n")).join("\n");
}

/**
 * Runs gitlab-ci-local in the project with the shell executor; resolves to its exit code, its stdout (with
 * --preview, the YAML alone) and its output (stdout, then stderr: its log, whose timings vary).
 */
export async function gitlabCiLocal(
  project: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string; stdout: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        GITLAB_CI_LOCAL,
        "--force-shell-executor",
        // Each job in its own copy of the project, as on a real runner: two jobs write build.env.
        "--shell-isolation",
        "--home",
        join(project, "..", "gcl-home"),
        ...args,
      ],
      { cwd: project, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
    );
    return { code: 0, output: `${stdout}\n${stderr}`, stdout };
  } catch (error: unknown) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof code === "number" ? code : 1,
      output: `${stdout ?? ""}\n${stderr ?? ""}`,
      stdout: stdout ?? "",
    };
  }
}

/**
 * Commits the project and runs its pipeline under gitlab-ci-local against `registry` (CI_REGISTRY_IMAGE
 * REGISTRY/team, CI_COMMIT_SHORT_SHA e2e1), with POLYARCH_BUILD_FLAGS=--emulate: this machine is amd64, so
 * the arm64 build job builds emulated through qemu (a real fleet runs it on an arm64 runner); the amd64 job
 * ignores the flag.
 */
export async function runEmulatedPipeline(
  work: { project: string; env: Record<string, string> },
  registry: { host: string },
): Promise<{ code: number; output: string }> {
  await commitProject(work.project, work.env);
  return await gitlabCiLocal(
    work.project,
    [
      "--variable",
      `CI_REGISTRY_IMAGE=${registry.host}/team`,
      "--variable",
      "CI_COMMIT_SHORT_SHA=e2e1",
      "--variable",
      "POLYARCH_BUILD_FLAGS=--emulate",
    ],
    work.env,
  );
}

export async function readText(path: string): Promise<string> {
  return await fs.readFile(path, "utf8");
}

export async function writeText(path: string, text: string): Promise<void> {
  await fs.writeFile(path, text);
}

/** The platforms of an index's children, read by skopeo. */
export async function indexPlatforms(reference: string): Promise<string[]> {
  const index = JSON.parse(await skopeo(["inspect", "--raw", `docker://${reference}`])) as {
    manifests: Array<{ platform: { os: string; architecture: string } }>;
  };
  return index.manifests.map((entry) => `${entry.platform.os}/${entry.platform.architecture}`);
}

/**
 * The architectures of the ELF binaries in the child skopeo picks for `arch` (copied with
 * --override-arch, then every layer read by @polyarch/elf).
 */
export async function binaryArchitectures(reference: string, arch: string, into: string): Promise<string[]> {
  await skopeo([
    "copy",
    "--override-os",
    "linux",
    "--override-arch",
    arch,
    `docker://${reference}`,
    `dir:${into}`,
  ]);
  const manifest = JSON.parse(await readText(join(into, "manifest.json"))) as {
    layers: Array<{ mediaType: string; digest: string }>;
  };
  const result = await verifyBinaries({
    expected: { architecture: arch },
    layers: manifest.layers.map((layer) => ({
      mediaType: layer.mediaType,
      digest: layer.digest,
      open: async () => createReadStream(join(into, layer.digest.slice("sha256:".length))),
    })),
  });
  return [...new Set(result.machines.map((machine) => machine.architecture))];
}

/**
 * A harness registry holding `base/busybox:1`, an amd64 + arm64 index of busybox with sh and chmod: the
 * base image the example Dockerfile's BASE_IMAGE build argument points at in the tests.
 */
export async function registryWithBusyboxBase(): Promise<Registry> {
  const registry = await startRegistry();
  const base = [
    await busyboxImage({ arch: "amd64", applets: ["sh", "chmod"] }),
    await busyboxImage({ arch: "arm64", applets: ["sh", "chmod"] }),
  ];
  await pushIndex(registry, "base/busybox", "1", indexOf(base));
  return registry;
}

/**
 * That `index` is a linux/amd64 + linux/arm64 index whose child for each architecture holds binaries of
 * that architecture only (each child copied under `into`, then read by @polyarch/elf).
 */
export async function expectMultiArchIndex(index: string, into: string): Promise<void> {
  expect(await indexPlatforms(index)).toEqual(["linux/amd64", "linux/arm64"]);
  for (const arch of ["amd64", "arm64"]) {
    expect(await binaryArchitectures(index, arch, `${into}-${arch}`)).toEqual([arch]);
  }
}
