import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Matrix, rows, runRow, startMatrix } from "./matrix-rows.ts";

// The fault matrix's rows that copy images (see matrix-rows.ts); the merging rows are in
// fault-matrix-merge.test.ts, so that the two halves run in parallel.
let matrix: Matrix;
beforeAll(async () => {
  matrix = await startMatrix();
});
afterAll(() => matrix?.stop());

describe("the fault matrix: each cell ends right or fails cleanly with no tag moved, and a re-run finishes", () => {
  for (const row of [
    rows.mirror,
    rows.mirrorSigned,
    rows.mirrorReferrerWrites,
    rows.sync,
    rows.helperRefresh,
  ]) {
    it(`${row?.name} × every fault × first, middle and last request`, async () => {
      expect(await runRow(matrix, row!)).toEqual([]);
    });
  }
});
