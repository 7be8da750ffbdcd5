import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pushImage, type Registry, startRegistry, syntheticImage, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";

const EXAMPLE = new URL("../../examples/fleet.yaml", import.meta.url);

let registry: Registry;
let basic: Registry;
let digest: string;

beforeAll(async () => {
  [registry, basic] = await Promise.all([startRegistry(), startRegistry({ auth: "basic" })]);
  const image = await syntheticImage({ platform: { os: "linux", architecture: "arm64" }, seed: 7 });
  ({ digest } = await pushImage(registry, "ci/gitlab-runner-helper", "v18.5.0", image));
  const auth = { username: basic.username as string, password: basic.password as string };
  await pushImage(basic, "ci/gitlab-runner-helper", "v18.5.0", image, { auth });
});

afterAll(async () => {
  await Promise.all([registry?.stop(), basic?.stop()]);
});

async function fleetWithHelper(dir: string, helper: string): Promise<string> {
  const fleet = (await readFile(EXAMPLE, "utf8")).replace(/helper_image: \S+/, `helper_image: ${helper}`);
  const path = join(dir, "fleet.yaml");
  await writeFile(path, fleet);
  return path;
}

describe("polyarch render --resolve-digests", () => {
  it("pins the helper image by the digest its tag points to in the registry", async () => {
    const dir = await tempDir("polyarch-render-");
    try {
      const fleet = await fleetWithHelper(dir.path, `${registry.host}/ci/gitlab-runner-helper:v18.5.0`);
      const run = await polyarch(["render", fleet, "--out", join(dir.path, "out"), "--resolve-digests"]);
      expect(run.code).toBe(0);
      const config = await readFile(join(dir.path, "out", "config.toml"), "utf8");
      expect(config).toContain(`helper_image = "${registry.host}/ci/gitlab-runner-helper:v18.5.0@${digest}"`);
    } finally {
      await dir.remove();
    }
  });

  it("takes the registry flags: --username with $POLYARCH_PASSWORD for a registry that requires them", async () => {
    const dir = await tempDir("polyarch-render-");
    try {
      const helper = `${basic.host}/ci/gitlab-runner-helper:v18.5.0`;
      const fleet = await fleetWithHelper(dir.path, helper);
      const out = join(dir.path, "out");
      const anonymous = await polyarch(["render", fleet, "--out", out, "--resolve-digests"]);
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toContain(`${basic.host} requires a username and password`);
      const run = await polyarch(
        ["render", fleet, "--out", out, "--resolve-digests", "--username", basic.username as string],
        { env: { POLYARCH_PASSWORD: basic.password as string } },
      );
      expect(run.stderr).not.toContain("polyarch:");
      expect(run.code).toBe(0);
      expect(await readFile(join(out, "config.toml"), "utf8")).toContain(
        `helper_image = "${helper}@${digest}"`,
      );
    } finally {
      await dir.remove();
    }
  });

  it("fails without writing anything when the tag does not exist", async () => {
    const dir = await tempDir("polyarch-render-");
    try {
      const fleet = await fleetWithHelper(dir.path, `${registry.host}/ci/gitlab-runner-helper:v0.0.1`);
      const run = await polyarch(["render", fleet, "--out", join(dir.path, "out"), "--resolve-digests"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("no such tag");
      expect(await readdir(dir.path)).toEqual(["fleet.yaml"]);
    } finally {
      await dir.remove();
    }
  });
});
