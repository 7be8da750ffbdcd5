import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  busyboxImage,
  indexOf,
  pushIndex,
  type Registry,
  type TempDir,
  tempDir,
  vfsStorage,
} from "@polyarch/test-harness";

export type { CliRun } from "../support/cli.ts";
export { isolatedEnv, polyarch, through } from "../support/cli.ts";
export { json, writes } from "../support/proxy.ts";

/** The CI variables a GitLab job has, enough for the default tag template and the OCI labels. */
export const ciEnv = {
  CI_COMMIT_SHORT_SHA: "1a2b3c4d",
  CI_COMMIT_SHA: "1a2b3c4d5e6f70811a2b3c4d5e6f70811a2b3c4d",
  CI_PIPELINE_ID: "4242",
  CI_PROJECT_URL: "https://gitlab.example.com/team/app",
  CI_PIPELINE_CREATED_AT: "2026-12-01T10:00:00Z",
};

/** Pushes the base image the test Dockerfiles build on: busybox for amd64 and arm64, as one index. */
export async function pushBase(registry: Registry, auth?: { username: string; password: string }) {
  const images = [
    await busyboxImage({ arch: "amd64", applets: ["sh"] }),
    await busyboxImage({ arch: "arm64", applets: ["sh"] }),
  ];
  return pushIndex(registry, "base/busybox", "1", indexOf(images), auth ? { auth } : {});
}

/**
 * A workspace for one test file: Buildah storage of its own (vfs, in a temp dir, named by
 * CONTAINERS_STORAGE_CONF), a HOME, and a build context whose Dockerfile runs a step in the image (so an
 * emulated build really runs arm64 code through QEMU).
 */
export async function workspace(registry: Registry): Promise<{
  dir: TempDir;
  context: string;
  env: Record<string, string>;
}> {
  const dir = await tempDir("polyarch-build-test-");
  await mkdir(join(dir.path, "home"), { recursive: true });
  const storage = await vfsStorage(dir.path);
  const context = join(dir.path, "context");
  await mkdir(context);
  await writeFile(
    join(context, "Dockerfile"),
    `FROM ${registry.host}/base/busybox:1\nRUN echo built > /built && /bin/busybox uname -m > /machine\n`,
  );
  return {
    dir,
    context,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: join(dir.path, "home"),
      TMPDIR: dir.path,
      ...storage,
      ...ciEnv,
    },
  };
}

/** A dotenv file as GitLab passes it to the jobs that need it: each KEY=value line a variable. */
export async function dotenvVariables(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

/** The real buildah on PATH, for wrappers that stand in front of it. */
export function realBuildah(): string {
  const found = (process.env.PATH ?? "/usr/bin")
    .split(":")
    .map((dir) => join(dir, "buildah"))
    .find((path) => existsSync(path));
  if (found === undefined) throw new Error("buildah is not installed: run bash .ci/system-packages");
  return found;
}
