import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(ROOT, "examples/pipeline");

describe("polyarch ci template", () => {
  it("prints the template examples/pipeline/ci/polyarch.yml holds (the example is what the command makes)", async () => {
    const run = await polyarch(["ci", "template"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await readFile(join(EXAMPLE, "ci/polyarch.yml"), "utf8"));
    expect(run.stderr).toContain("not pinned by digest");
  });

  it("writes --out, and the written file passes ci check", async () => {
    const dir = await tempDir("polyarch-ci-");
    try {
      const out = join(dir.path, "ci", "polyarch.yml");
      const run = await polyarch(["ci", "template", "--schedule", "--shards", "2", "--out", out]);
      expect(run.code).toBe(0);
      expect(await readFile(out, "utf8")).toContain('--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"');
      expect((await polyarch(["ci", "check", out])).code).toBe(0);
    } finally {
      await dir.remove();
    }
  });

  it("refuses a bad flag with exit 2 naming it", async () => {
    const run = await polyarch(["ci", "template", "--topology", "vm"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--topology "vm" is not valid');
    expect(run.stdout).toBe("");
  });
});

describe("polyarch ci check", () => {
  it("passes the example project and polyarch's own pipeline", async () => {
    const example = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: EXAMPLE });
    expect(example.stderr).toBe("");
    expect(example.code).toBe(0);
    const own = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: ROOT });
    expect(own.stderr).toBe("");
    expect(own.code).toBe(0);
  });

  it("exits 2 naming the job and key of every problem", async () => {
    const dir = await tempDir("polyarch-ci-");
    try {
      const text = (await readFile(join(EXAMPLE, ".gitlab-ci.yml"), "utf8"))
        .replace("needs: [hello-amd64, hello-arm64]", "needs: [hello-amd64]")
        .replace(
          "hello-amd64:\n  extends: .polyarch-build-amd64\n",
          "hello-amd64:\n  extends: .polyarch-build-amd64\n  artifactz: {}\n",
        );
      await writeFile(join(dir.path, ".gitlab-ci.yml"), text);
      const run = await polyarch(["ci", "check", ".gitlab-ci.yml", "--project-dir", EXAMPLE], {
        cwd: dir.path,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('hello-amd64: unknown key "artifactz"');
      const fixed = text.replace("  artifactz: {}\n", "");
      await writeFile(join(dir.path, ".gitlab-ci.yml"), fixed);
      const second = await polyarch(["ci", "check", ".gitlab-ci.yml", "--project-dir", EXAMPLE], {
        cwd: dir.path,
      });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain("hello.needs: misses build job hello-arm64");
    } finally {
      await dir.remove();
    }
  });

  it("with --fleet, exits 2 when the runner's node_selector_overwrite_allowed refuses a job's architecture", async () => {
    const dir = await tempDir("polyarch-ci-");
    try {
      // The example fleet's runner, rendered for its amd64 pool only (its arm64 tolerations go too).
      const fleet = (await readFile(join(ROOT, "examples/fleet.yaml"), "utf8"))
        .replace("architectures: [amd64, arm64]", "architectures: [amd64]")
        .replace(/ {6}tolerations:\n(?: {8}.*\n)+/, "");
      await writeFile(join(dir.path, "fleet.yaml"), fleet);
      const template = await polyarch(["ci", "template", "--topology", "node-selector"]);
      await writeFile(join(dir.path, "polyarch.yml"), template.stdout);
      const project = (await readFile(join(EXAMPLE, ".gitlab-ci.yml"), "utf8")).replace(
        "local: ci/polyarch.yml",
        "local: polyarch.yml",
      );
      await writeFile(join(dir.path, ".gitlab-ci.yml"), project);
      const run = await polyarch(["ci", "check", ".gitlab-ci.yml", "--fleet", "fleet.yaml"], {
        cwd: dir.path,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("hello-arm64.variables.KUBERNETES_NODE_SELECTOR_ARCH");
      expect(run.stderr).not.toContain("hello-amd64");
      const allowed = await polyarch(
        ["ci", "check", ".gitlab-ci.yml", "--fleet", join(ROOT, "examples/fleet.yaml")],
        {
          cwd: dir.path,
        },
      );
      expect(allowed.stderr).toBe("");
      expect(allowed.code).toBe(0);
    } finally {
      await dir.remove();
    }
  });

  it("exits 2 for a file that does not exist, or a local include that is missing", async () => {
    const missing = await polyarch(["ci", "check", "nope.yml"], { cwd: EXAMPLE });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.yml cannot be read");
    const dir = await tempDir("polyarch-ci-");
    try {
      await writeFile(join(dir.path, ".gitlab-ci.yml"), "include:\n  - local: ci/absent.yml\n");
      const run = await polyarch(["ci", "check", ".gitlab-ci.yml"], { cwd: dir.path });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("ci/absent.yml (included by .gitlab-ci.yml) cannot be read");
    } finally {
      await dir.remove();
    }
  });
});
