import { describe, expect, it } from "vitest";
import { fingerprint, isReceiptTag, receiptTag } from "./receipt.ts";

describe("receipts", () => {
  it("fingerprints JSON values independently of key order", () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint({ a: [1, 2] })).not.toBe(fingerprint({ a: [2, 1] }));
  });

  it("names the receipt after the tag it stands for", () => {
    const fp = fingerprint({ source: "sha256:abc" });
    const tag = receiptTag("alpine3.21-v18.9.0", fp);
    expect(tag).toBe(`alpine3.21-v18.9.0.polyarch-${fp.slice(7, 19)}`);
    expect(isReceiptTag(tag)).toBe(true);
    expect(isReceiptTag("alpine3.21-v18.9.0")).toBe(false);
    expect(receiptTag("alpine3.21-v18.9.0", fingerprint({ source: "sha256:def" }))).not.toBe(tag);
  });

  it("stays a valid tag when the tag is long", () => {
    const long = "x".repeat(120);
    const tag = receiptTag(long, fingerprint(1));
    expect(tag).toMatch(/^polyarch-[a-f0-9]{40}$/);
    expect(isReceiptTag(tag)).toBe(true);
  });
});
