import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Matrix, rows, runRow, startMatrix } from "./matrix-rows.ts";

// The fault matrix's rows that write an index (see matrix-rows.ts); the copying rows are in
// fault-matrix-copy.test.ts, so that the two halves run in parallel.
let matrix: Matrix;
beforeAll(async () => {
  matrix = await startMatrix();
});
afterAll(() => matrix?.stop());

describe("the fault matrix: each cell ends right or fails cleanly with no tag moved, and a re-run finishes", () => {
  for (const row of [rows.merge, rows.mergeAttested, rows.pushFromArgs, rows.pushFromSpec]) {
    it(`${row?.name} × every fault × first, middle and last request`, async () => {
      expect(await runRow(matrix, row!)).toEqual([]);
    });
  }
});
