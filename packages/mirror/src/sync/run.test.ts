import { fakeStore } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { sync } from "./run.ts";
import { parseSyncSpec } from "./spec.ts";

const SIGNED = "https://bucket.s3.example.com/blob?X-Amz-Signature=secret-signature";

describe("sync reports", () => {
  it("masks secrets in the message of an error polyarch did not make", async () => {
    const spec = parseSyncSpec(
      "images:\n  - source: registry.example.com/app:1\n    target: mirror.example.com/app\n",
      "sync.yaml",
    );
    const logs: string[] = [];
    const store = fakeStore("store", {
      name: "registry.example.com/app",
      headManifest: async () => {
        throw new TypeError(`fetch ${SIGNED} failed with Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig`);
      },
    });
    const report = await sync(spec, { openStore: () => store, log: (message) => logs.push(message) });
    expect(report.items).toHaveLength(1);
    const item = report.items[0]!;
    expect(item.action).toBe("failed");
    expect(item.error).toEqual({
      code: "POLYARCH_E_INTERNAL",
      message:
        "fetch https://bucket.s3.example.com/blob?X-Amz-Signature=*** failed with Authorization: Bearer ***",
    });
    expect(logs.join("\n")).toContain("X-Amz-Signature=***");
    expect(JSON.stringify(report) + logs.join("\n")).not.toMatch(/secret-signature|eyJhbGci/);
  });
});
