import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { isPolyarchError } from "@polyarch/errors";
import { renderFleet, validateFleetYaml } from "@polyarch/runner-config";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { main } from "../main.ts";
import type { Io } from "../output.ts";
import { render } from "./render.ts";

const EXAMPLE = new URL("../../../../examples/fleet.yaml", import.meta.url);
const DIGEST = `sha256:${"cd".repeat(32)}`;

interface CapturedIo extends Io {
  out: () => string;
  err: () => string;
}

function captureIo(cwd: string): CapturedIo {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    return { stream, text: () => chunks.join("") };
  };
  const stdout = sink();
  const stderr = sink();
  return { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd, out: stdout.text, err: stderr.text };
}

let dir: string;
let io: CapturedIo;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "polyarch-render-"));
  await cp(EXAMPLE, path.join(dir, "fleet.yaml"));
  io = captureIo(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expected(file: string): Promise<string> {
  const result = validateFleetYaml(await readFile(EXAMPLE, "utf8"));
  if (!result.ok) throw new Error("examples/fleet.yaml is invalid");
  return renderFleet(result.fleet).files.find((rendered) => rendered.name === file)!.content;
}

describe("polyarch render", () => {
  test("writes config.toml, values.yaml and secret.example.yaml into --out", async () => {
    expect(await main(["node", "polyarch", "render", "fleet.yaml", "--out", "out/"], io)).toBe(0);
    const out = path.join(dir, "out");
    expect((await readdir(out)).sort()).toEqual(["config.toml", "secret.example.yaml", "values.yaml"]);
    for (const file of ["config.toml", "values.yaml", "secret.example.yaml"])
      expect(await readFile(path.join(out, file), "utf8"), file).toBe(await expected(file));
    expect((await stat(path.join(out, "secret.example.yaml"))).mode & 0o777).toBe(0o600);
    expect(io.out()).toBe("wrote out/config.toml\nwrote out/values.yaml\nwrote out/secret.example.yaml\n");
    expect(io.err()).toBe("");
  });

  test("rewrites the same bytes when run again", async () => {
    await render({ fleet: "fleet.yaml", out: "out" }, io);
    const first = await readFile(path.join(dir, "out", "values.yaml"));
    await render({ fleet: "fleet.yaml", out: "out" }, io);
    expect(await readFile(path.join(dir, "out", "values.yaml"))).toEqual(first);
    expect((await readdir(path.join(dir, "out"))).sort()).toEqual([
      "config.toml",
      "secret.example.yaml",
      "values.yaml",
    ]);
  });

  test("--check validates and renders but writes nothing", async () => {
    expect(await main(["node", "polyarch", "render", "fleet.yaml", "--check", "--out", "out"], io)).toBe(0);
    expect(await readdir(dir)).toEqual(["fleet.yaml"]);
    expect(io.out()).toBe(
      "fleet.yaml is valid; it renders out/config.toml, out/values.yaml, out/secret.example.yaml (nothing written)\n",
    );
  });

  test("--stdout prints one rendered file and writes nothing", async () => {
    expect(await main(["node", "polyarch", "render", "fleet.yaml", "--stdout", "values"], io)).toBe(0);
    expect(io.out()).toBe(await expected("values.yaml"));
    expect(await readdir(dir)).toEqual(["fleet.yaml"]);
    expect(
      await main(["node", "polyarch", "render", "fleet.yaml", "--stdout", "secret"], captureIo(dir)),
    ).toBe(2);
  });

  test("an invalid fleet exits 2, lists every problem on stderr and writes nothing", async () => {
    const fleet = (await readFile(EXAMPLE, "utf8"))
      .replace("architectures: [amd64, arm64]", "architectures: [amd64, arm64, x86]")
      .replace("limit: 4\n", "limt: 4\n");
    await writeFile(path.join(dir, "bad.yaml"), fleet);
    expect(await main(["node", "polyarch", "render", "bad.yaml", "--out", "out"], io)).toBe(2);
    expect(io.err()).toBe(
      [
        "polyarch: bad.yaml: 2 problems",
        '  runners[0].kubernetes.architectures[2]: "x86" is not an architecture; use amd64, arm64, arm, s390x, ppc64le or riscv64',
        '  runners[1].limt: unknown key; did you mean "limit"? (valid keys: name, token, limit, request_concurrency, output_limit, environment, cache, executor, custom)',
        "hint: fix the keys above; packages/runner-config/README.md documents every key of the fleet file",
        "",
      ].join("\n"),
    );
    expect(await readdir(dir)).toEqual(["bad.yaml", "fleet.yaml"]);
  });

  test("--out naming a file is bad input, and nothing is written", async () => {
    await writeFile(path.join(dir, "taken"), "not a directory");
    expect(await main(["node", "polyarch", "render", "fleet.yaml", "--out", "taken"], captureIo(dir))).toBe(
      2,
    );
    expect(await readdir(dir)).toEqual(["fleet.yaml", "taken"]);
  });

  test("a missing fleet file is bad input", async () => {
    const error = await render({ fleet: "nope.yaml" }, io).catch((caught: unknown) => caught);
    expect(isPolyarchError(error, "POLYARCH_E_FLEET_NOT_FOUND")).toBe(true);
    expect(await main(["node", "polyarch", "render", "nope.yaml"], captureIo(dir))).toBe(2);
  });

  test("prints each security opt-out as a warning on stderr", async () => {
    const fleet = (await readFile(EXAMPLE, "utf8")).replace(
      "      image_pull_secrets:",
      "      security:\n        privileged: true\n      image_pull_secrets:",
    );
    await writeFile(path.join(dir, "fleet.yaml"), fleet);
    await render({ fleet: "fleet.yaml", check: true }, io);
    expect(io.err()).toBe(
      "polyarch: warning: runners k8s-multiarch: security.privileged: true gives every job root on the node " +
        "and access to all its devices\n",
    );
  });

  test("--resolve-digests pins the helper image through the injected resolver", async () => {
    const fleet = (await readFile(EXAMPLE, "utf8")).replace(/(helper_image: \S+)@sha256:[0-9a-f]{64}/, "$1");
    await writeFile(path.join(dir, "fleet.yaml"), fleet);
    const resolveDigest = vi.fn(async () => DIGEST);
    await render({ fleet: "fleet.yaml", out: "out", resolveDigests: true }, io, { resolveDigest });
    expect(resolveDigest).toHaveBeenCalledWith("registry.example.com/ci/gitlab-runner-helper:v18.11.0");
    expect(await readFile(path.join(dir, "out", "config.toml"), "utf8")).toContain(
      `helper_image = "registry.example.com/ci/gitlab-runner-helper:v18.11.0@${DIGEST}"`,
    );
    expect(io.err()).toBe("");
  });

  test("--help documents every flag with its default and shows an example", async () => {
    expect(await main(["node", "polyarch", "render", "--help"], io)).toBe(0);
    const help = io.out().replace(/\s+/g, " ");
    expect(help).toContain(
      '--out <dir> directory to write config.toml, values.yaml and secret.example.yaml into (default: ".")',
    );
    for (const flag of ["--check", "--stdout <file>", "--resolve-digests"]) expect(help).toContain(flag);
    expect(help).toContain('(choices: "config", "values")');
    expect(help).toContain("$ polyarch render examples/fleet.yaml --out out/");
  });
});
