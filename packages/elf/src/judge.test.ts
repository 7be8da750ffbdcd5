import { type ImageConfig, parsePlatform } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { judge } from "./judge.ts";
import type { VerifyBinariesResult } from "./verify.ts";

const config = (architecture: string): ImageConfig => ({ os: "linux", architecture });
const binaries = (found: string | undefined, expected = "arm64"): VerifyBinariesResult => {
  const names: Record<string, string> = { arm64: "AArch64", amd64: "x86-64" };
  if (found === undefined) {
    return {
      ok: true,
      checked: 0,
      scope: "all",
      mismatches: [],
      machines: [],
      summary: "none",
      notes: ["no ELF executables"],
    };
  }
  const ok = found === expected;
  return {
    ok,
    checked: 1,
    scope: "paths",
    mismatches: ok
      ? []
      : [{ path: "/usr/bin/gitlab-runner-helper", found: { architecture: found }, foundName: names[found]! }],
    machines: [{ architecture: found, name: names[found]!, count: 1 }],
    summary: "1 ELF executable checked",
    notes: [],
  };
};

describe("judge", () => {
  const arm64 = parsePlatform("linux/arm64");

  it("passes an image whose label and binary agree with its tag", () => {
    expect(judge("arm64-v18.9.0", arm64, config("arm64"), binaries("arm64"), "as the tag says").kind).toBe(
      "ok",
    );
    expect(
      judge(
        "arm64-v18.9.0",
        arm64,
        { ...config("arm64"), variant: "v8" },
        binaries("arm64"),
        "as the tag says",
      ).kind,
    ).toBe("ok");
  });

  it("calls an image mislabelled when only its config disagrees (fixable)", () => {
    expect(judge("arm64-v18.9.0", arm64, config("amd64"), binaries("arm64"), "as the tag says")).toEqual({
      kind: "mislabelled",
      label: "linux/amd64",
      real: "arm64",
      message:
        "arm64-v18.9.0 is labelled linux/amd64, but its helper binary is arm64 (AArch64), as the tag says",
    });
  });

  it("calls binaries for another architecture wrong, whatever the label says", () => {
    for (const label of ["amd64", "arm64"]) {
      const verdict = judge("arm64-v18.9.0", arm64, config(label), binaries("amd64"), "as the tag says");
      expect(verdict).toMatchObject({ kind: "wrong-binaries", label: `linux/${label}`, real: "amd64" });
    }
  });

  it("cannot verify an image without ELF executables", () => {
    expect(
      judge("arm64-v18.9.0", arm64, config("arm64"), binaries(undefined), "as the tag says"),
    ).toMatchObject({
      kind: "unverifiable",
      message:
        "arm64-v18.9.0: no ELF executable to check (no ELF executables); cannot tell whether it is linux/arm64",
    });
  });
});
