import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
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
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PACKAGE, runPolyarch, startBinary } from "../support/process.ts";

// The installed binary as a process: bin/polyarch.js loading the bundle `pnpm build` made (dist/bin).
// Every command doing its work as a process: test/cli/commands.test.ts.
const BIN = join(CLI_PACKAGE, "bin/polyarch.js");
const BUNDLE = join(CLI_PACKAGE, "dist/bin/polyarch.cjs");
/** Preloaded into the child: on exit it prints the bundle files it loaded, one per line, on stderr. */
const LIST_LOADED = `process.on("exit", () => { for (const file of Object.keys(require.cache)) if (file.includes("/dist/bin/")) process.stderr.write("loaded " + file + "\\n"); });`;
let preload: TempDir;
const listLoaded = () => ({ NODE_OPTIONS: `--require=${join(preload.path, "list-loaded.cjs")}` });

/** polyarch from the bundle, with no HOME: nothing from this machine's configuration counts. */
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runPolyarch(args, { env: { HOME: "/nonexistent", ...env } });

const loadedChunks = (stderr: string) =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("loaded "))
    .map((line) => line.slice(line.lastIndexOf("/") + 1).replace(/-[\w-]{8}\.cjs$/, ""));

let registry: Registry;
let reference: string;
let expectedRaw: string;

beforeAll(async () => {
  preload = await tempDir("polyarch-bin-test-");
  await writeFile(join(preload.path, "list-loaded.cjs"), LIST_LOADED);
  registry = await startRegistry();
  const images = await Promise.all(
    (["amd64", "arm64"] as const).map((architecture) =>
      syntheticImage({ platform: { os: "linux", architecture }, seed: "bin" }),
    ),
  );
  const index = indexOf(images);
  await pushIndex(registry, "bin/app", "1", index);
  reference = `${registry.host}/bin/app:1`;
  expectedRaw = index.manifest.bytes.toString();
});

afterAll(async () => {
  await registry?.stop();
  await preload?.remove();
});

describe.each(["polyarch", "polyarch-executor"] as const)("%s's output into a closed pipe", (binary) => {
  // `BINARY --help | head -0`: the reader has gone before the binary writes a byte (the read end is
  // closed as soon as the process is spawned, long before node has loaded the bundle).
  it("ends quietly with exit code 0, as a Unix tool does", async () => {
    const started = startBinary(binary, ["--help"], { env: { HOME: "/nonexistent" } });
    started.child.stdout?.destroy();
    const { code, signal, stderr } = await started.done;
    expect(stderr).toBe("");
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});

describe("the polyarch binary (bundle)", () => {
  it("prints help and exits 0", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: polyarch/);
    expect(stdout).toContain("inspect");
  });

  it("runs by its own first line, with the node on PATH", async () => {
    const { exitCode, stdout } = await execa(BIN, ["--version"], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: "/nonexistent" },
      extendEnv: false,
    });
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("--version prints the cli package's version", async () => {
    const manifest = JSON.parse(
      await readFile(fileURLToPath(new URL("../../packages/cli/package.json", import.meta.url)), "utf8"),
    ) as { version: string };
    const { code, stdout } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(manifest.version);
  });

  it("--help loads no command's chunk, and no registry client", async () => {
    const { code, stderr } = await run(["--help"], listLoaded());
    expect(code).toBe(0);
    const chunks = loadedChunks(stderr);
    expect(chunks).toContain("polyarch.cjs");
    expect(chunks.some((chunk) => chunk.startsWith("registry-client"))).toBe(false);
    expect(chunks.some((chunk) => chunk.startsWith("inspect"))).toBe(false);
  });

  it("inspect --raw prints the stored bytes, loading the inspect chunk", async () => {
    const { code, stdout, stderr } = await run(["inspect", "--raw", reference], listLoaded());
    expect(code).toBe(0);
    expect(stdout).toBe(expectedRaw);
    expect(loadedChunks(stderr).some((chunk) => chunk.startsWith("inspect"))).toBe(true);
  });

  it("bad input exits 2 with the catalogue's message", async () => {
    const { code, stderr } = await run(["inspect", "--platform", "linux/", reference]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^polyarch: /m);
  });

  it("merge --spec loads the spec reader (its own chunk) and reports a bad key", async () => {
    const spec = join(preload.path, "bad-spec.yaml");
    await writeFile(spec, "imagee: registry.example/app:1\n");
    const { code, stderr } = await run(["merge", "--spec", spec], listLoaded());
    expect(code).toBe(2);
    expect(stderr).toContain("imagee");
    expect(loadedChunks(stderr).some((chunk) => chunk.startsWith("merge-spec"))).toBe(true);
  });

  it("ships source maps that lead back to the TypeScript sources", async () => {
    const map = JSON.parse(await readFile(`${BUNDLE}.map`, "utf8")) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith("/src/main.ts"))).toBe(true);
  });
});
