import { fakeStore } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { refresh } from "./refresh.ts";
import { parseHelperSpec } from "./spec.ts";

const SIGNED = "https://storage.googleapis.com/b/blob?X-Goog-Signature=secret-signature&sig=secret-sig";

describe("refresh reports", () => {
  it("masks secrets in the message of an error polyarch did not make", async () => {
    const spec = parseHelperSpec(
      [
        "upstream:",
        "  registry: registry.example.com",
        "  repository: gitlab-org/gitlab-runner/gitlab-runner-helper",
        "versions: { list: [18.9.0] }",
        "flavors: [alpine]",
        "architectures: [x86_64, arm64]",
        "target:",
        "  repository: mirror.example.com/helper",
        "",
      ].join("\n"),
      "helper.yaml",
    );
    const logs: string[] = [];
    const store = fakeStore("store", {
      name: "registry.example.com/gitlab-org/gitlab-runner/gitlab-runner-helper",
      headManifest: async () => {
        throw new Error(`GET ${SIGNED} failed for bob:hunter22@registry.example.com/helper`);
      },
    });
    const report = await refresh(spec, { openStore: () => store, log: (message) => logs.push(message) });
    expect(report.items).toHaveLength(1);
    const item = report.items[0]!;
    expect(item.action).toBe("failed");
    expect(item.error).toEqual({
      code: "POLYARCH_E_INTERNAL",
      message:
        "GET https://storage.googleapis.com/b/blob?X-Goog-Signature=***&sig=*** failed for ***@registry.example.com/helper",
    });
    expect(logs.join("\n")).toContain("X-Goog-Signature=***");
    expect(JSON.stringify(report) + logs.join("\n")).not.toMatch(/secret-sig|hunter22/);
  });
});
