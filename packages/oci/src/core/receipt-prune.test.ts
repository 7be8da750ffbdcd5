import { describe, expect, it } from "vitest";
import { planReceiptPrune } from "./receipt-prune.ts";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe("planReceiptPrune", () => {
  it("finds receipts whose tag moved on or is gone, keeps current ones and every plain tag", () => {
    const plan = planReceiptPrune([
      { tag: "v1", digest: d(2) },
      { tag: "v1.polyarch-aaaaaaaaaaaa", digest: d(1) }, // v1 moved from 1 to 2
      { tag: "v1.polyarch-bbbbbbbbbbbb", digest: d(2) }, // current
      { tag: "v0.polyarch-cccccccccccc", digest: d(3) }, // v0 is gone
      { tag: "latest", digest: d(1) },
    ]);
    expect(plan.receipts).toBe(3);
    expect(plan.stale).toEqual([
      // "latest" still names digest 1: deleting it by digest would take "latest" along.
      { tag: "v1.polyarch-aaaaaaaaaaaa", digest: d(1), byDigest: false },
      { tag: "v0.polyarch-cccccccccccc", digest: d(3), byDigest: true },
    ]);
  });

  it("judges a receipt too long to carry its tag by whether any tag names its digest", () => {
    const hashed = `polyarch-${"e".repeat(40)}`;
    expect(
      planReceiptPrune([
        { tag: "x", digest: d(1) },
        { tag: hashed, digest: d(1) },
      ]).stale,
    ).toEqual([]);
    expect(
      planReceiptPrune([
        { tag: "x", digest: d(2) },
        { tag: hashed, digest: d(1) },
      ]).stale,
    ).toEqual([{ tag: hashed, digest: d(1), byDigest: true }]);
  });
});
