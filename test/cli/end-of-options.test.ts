import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type TempDir, tempDir, vfsStorage } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPolyarch } from "../support/process.ts";

// `--` ends polyarch's options: what follows is the builder's, and reaches real Buildah as written. Buildah
// quotes an argument it refuses in its error, which polyarch shows in the build failure's last lines, so
// each case below reads what Buildah received from Buildah itself. Nothing is pushed: `bud` stops at its
// flags, before it reads the context.
let dir: TempDir;
let env: Record<string, string>;
let context: string;

beforeAll(async () => {
  dir = await tempDir("polyarch-end-of-options-");
  context = join(dir.path, "context");
  await mkdir(context);
  await mkdir(join(dir.path, "home"));
  await writeFile(join(context, "Dockerfile"), "FROM scratch\n");
  env = { HOME: join(dir.path, "home"), TMPDIR: dir.path, ...(await vfsStorage(dir.path)) };
});

afterAll(async () => {
  await dir?.remove();
});

const build = (builderArgs: string[], extraEnv: Record<string, string> = {}) =>
  runPolyarch(
    [
      ...["build", "--builder", "buildah", "--context", context],
      ...["--image", "127.0.0.1:9/team/app", "--tag-template", "{arch}-end-of-options"],
      ...["--", ...builderArgs],
    ],
    { env: { ...env, ...extraEnv } },
  );

describe("`--` ends polyarch's options (the built bin as a process, real Buildah)", () => {
  it("passes --version after -- to the builder instead of printing polyarch's version", async () => {
    const run = await build(["--version"]);
    expect(run.stderr).toContain("unknown flag: --version");
    expect(run.stdout).toBe("");
    expect(run.code).toBe(1);
  });

  it("leaves a one-dash flag after -- as written, though polyarch has a flag of that name", async () => {
    // manifest-tool's `-username` is polyarch's `--username`, but only before `--`.
    const run = await build(["-username=builder"]);
    expect(run.stderr).toContain("unknown shorthand flag: 'u' in -username=builder");
    expect(run.code).toBe(1);
  });

  it("does not read --debug after -- as polyarch's", async () => {
    // A Docker config.json that is a directory: reading credentials fails with a cause (EISDIR), which
    // polyarch's --debug prints and nothing else does.
    const dockerConfig = join(dir.path, "docker-config");
    await mkdir(join(dockerConfig, "config.json"), { recursive: true });
    const polyarchDebug = await runPolyarch(
      [
        ...["build", "--builder", "buildah", "--context", context, "--debug"],
        ...["--image", "127.0.0.1:9/team/app", "--tag-template", "{arch}-end-of-options"],
      ],
      { env: { ...env, DOCKER_CONFIG: dockerConfig } },
    );
    expect(polyarchDebug.stderr).toMatch(/^cause: .*EISDIR/m);
    const builderDebug = await build(["--debug"], { DOCKER_CONFIG: dockerConfig });
    expect(builderDebug.stderr).toContain(`could not read ${join(dockerConfig, "config.json")}`);
    expect(builderDebug.stderr).not.toMatch(/^cause: /m);
  });
});
