import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type TempDir, tempDir, vfsStorage } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRow, type Matrix, type Row, runRow, startMatrix } from "./matrix-rows.ts";

// The fault matrix's `build` row (see matrix-rows.ts), with real Buildah in vfs storage of this file's own;
// in a file of its own so that it runs in parallel with the other rows.
let matrix: Matrix;
let work: TempDir;
let row: Row;

beforeAll(async () => {
  matrix = await startMatrix();
  work = await tempDir("polyarch-matrix-build-");
  const context = join(work.path, "context");
  await mkdir(join(work.path, "home"), { recursive: true });
  await mkdir(context);
  await writeFile(join(context, "Dockerfile"), "FROM scratch\nCOPY a /a\nCOPY b /b\n");
  // Two layers of fixed bytes, so the push has uploads at its first, middle and last requests.
  await writeFile(join(context, "a"), Buffer.alloc(6000, "polyarch matrix a\n"));
  await writeFile(join(context, "b"), Buffer.alloc(6000, "polyarch matrix b\n"));
  row = buildRow(context, {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(work.path, "home"),
    TMPDIR: work.path,
    ...(await vfsStorage(work.path)),
  });
}, 120_000);

afterAll(async () => {
  await matrix?.stop();
  await work?.remove();
});

describe("the fault matrix: each cell ends right or fails cleanly with no tag moved, and a re-run finishes", () => {
  it("build × every fault × first, middle and last request of its push", async () => {
    expect(await runRow(matrix, row)).toEqual([]);
  });
});
