import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  fetchManifest,
  hostBusyboxArch,
  type Registry,
  startRegistry,
  type TempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dotenvVariables, polyarch, pushBase, realBuildah, workspace } from "./support.ts";

// Real Buildah pushing to registries that need credentials, which polyarch hands it in a private auth
// file. A wrapper in front of buildah records the file's mode while the build runs, then runs buildah.
let basic: Registry;
let token: Registry;
let work: { dir: TempDir; context: string; env: Record<string, string> };
let bin: string;

beforeAll(async () => {
  basic = await startRegistry({ auth: "basic" });
  token = await startRegistry({ auth: "token" });
  for (const registry of [basic, token]) {
    await pushBase(registry, { username: registry.username ?? "", password: registry.password ?? "" });
  }
  work = await workspace(basic);
  bin = join(work.dir.path, "bin");
  await mkdir(bin);
  await writeFile(
    join(bin, "buildah"),
    [
      "#!/bin/sh",
      'prev=""',
      'for a in "$@"; do',
      `  [ "$prev" = --authfile ] && stat -c "%a %n" "$a" "$(dirname "$a")" >> ${work.dir.path}/modes.log`,
      '  prev="$a"',
      "done",
      `exec ${realBuildah()} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}, 120_000);

afterAll(async () => {
  await basic?.stop();
  await token?.stop();
  await work?.dir.remove();
});

async function buildFor(registry: Registry, env: Record<string, string>, name: string, extra: string[] = []) {
  const context = join(work.dir.path, `context-${name}`);
  await mkdir(context, { recursive: true });
  await writeFile(
    join(context, "Dockerfile"),
    `FROM ${registry.host}/base/busybox:1\nRUN echo ${name} > /name\n`,
  );
  const dotenv = join(work.dir.path, `${name}.env`);
  const run = await polyarch(
    [
      "build",
      ...["--context", context, "--image", `${registry.host}/team/app`, "--tag-template", `{arch}-${name}`],
      ...["--dotenv", dotenv, "--json", ...extra],
    ],
    { env: { ...work.env, PATH: `${bin}:${work.env.PATH}`, ...env }, cwd: work.dir.path },
  );
  return { run, dotenv };
}

/** GitLab's variables for the job's own registry, which polyarch hands to the builder. */
function ciRegistry(registry: Registry): Record<string, string> {
  return {
    CI_REGISTRY: registry.host,
    CI_REGISTRY_USER: registry.username ?? "",
    CI_REGISTRY_PASSWORD: registry.password ?? "",
  };
}

function expectNoSecret(texts: string[], secret: string) {
  const forms = [secret, Buffer.from(`polyarch:${secret}`).toString("base64")];
  for (const text of texts) for (const form of forms) expect(text).not.toContain(form);
}

describe("credentials for the builder", () => {
  it("hands GitLab's CI_REGISTRY variables to Buildah in a 0600 file in a private directory, then removes it", async () => {
    const { run, dotenv } = await buildFor(basic, ciRegistry(basic), "ci-registry");
    expect(run.stderr).not.toContain("polyarch:");
    expect(run.code).toBe(0);
    const { digest } = JSON.parse(run.stdout);
    expect((await fetchManifest(basic, "team/app", digest)).status).toBe(200);
    const modes = (await readFile(join(work.dir.path, "modes.log"), "utf8")).trim().split("\n");
    expect(modes.length).toBeGreaterThanOrEqual(4);
    for (const [i, line] of modes.entries()) expect(line).toMatch(i % 2 === 0 ? /^600 / : /^700 /);
    expect((await readdir(work.dir.path)).filter((f) => f.startsWith("polyarch-auth-"))).toEqual([]);
    expectNoSecret([run.stdout, run.stderr, await readFile(dotenv, "utf8")], basic.password ?? "");
  });

  it("hands DOCKER_AUTH_CONFIG's credentials to Buildah for a token-auth registry", async () => {
    const auth = Buffer.from(`${token.username}:${token.password}`).toString("base64");
    const { run, dotenv } = await buildFor(
      token,
      { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { [token.host]: { auth } } }) },
      "docker-auth-config",
    );
    expect(run.stderr).not.toContain("polyarch:");
    expect(run.code).toBe(0);
    const variables = await dotenvVariables(dotenv);
    expect(variables[`POLYARCH_IMAGE_${hostBusyboxArch().toUpperCase()}`]).toBe(
      `${token.host}/team/app@${JSON.parse(run.stdout).digest}`,
    );
    expectNoSecret([run.stdout, run.stderr, await readFile(dotenv, "utf8")], token.password ?? "");
    expect(run.stdout + run.stderr).not.toContain(auth);
  });

  it("fails with the builder's last lines when no source has the registry's credentials", async () => {
    // Buildah's pull of the base, or (when an earlier test pulled it into this file's storage) its push.
    const { run } = await buildFor(basic, {}, "anonymous");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/polyarch: buildah (bud|push) exited with \d+; its last lines:/);
    expect(run.stderr).toMatch(/unauthorized|authentication required/i);
    expect((await fetchManifest(basic, "team/app", `${hostBusyboxArch()}-anonymous`)).status).toBe(404);
  });

  it("with --push-with polyarch, fails naming the registry when no source has its credentials", async () => {
    // The base goes into this file's Buildah storage first, so the build runs and polyarch's push is refused.
    const warm = await buildFor(basic, ciRegistry(basic), "warm-polyarch", ["--push-with", "polyarch"]);
    expect(warm.run.code, warm.run.stderr).toBe(0);
    const { run } = await buildFor(basic, {}, "anonymous-polyarch", ["--push-with", "polyarch"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`polyarch: ${basic.host} requires a username and password`);
    expect(run.stdout).toBe("");
    expect((await fetchManifest(basic, "team/app", `${hostBusyboxArch()}-anonymous-polyarch`)).status).toBe(
      404,
    );
  });
});
