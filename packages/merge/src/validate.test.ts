import { parseReference } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { merge } from "./execute.ts";
import type { MergeRequest } from "./request.ts";
import { checkMergeRequest, mergeTarget } from "./validate.ts";

const request = (changes: Partial<MergeRequest> = {}): MergeRequest => ({
  target: { ...parseReference("r.example/team/app:1.0"), tag: "1.0" },
  sources: [
    { text: "r.example/team/app:1.0-amd64", reference: parseReference("r.example/team/app:1.0-amd64") },
  ],
  tags: [],
  indexAnnotations: {},
  descriptorAnnotations: [],
  ignoreMissing: false,
  keepAttestations: false,
  verifyBinaries: false,
  dryRun: false,
  ...changes,
});

const inputError = (code: string, message: string) =>
  expect.objectContaining({ code, kind: "input", message: expect.stringContaining(message) });

describe("mergeTarget", () => {
  it("gives the target with its tag", () => {
    expect(mergeTarget("r.example/team/app:1.0")).toMatchObject({
      registry: "r.example",
      repository: "team/app",
      tag: "1.0",
    });
  });

  it("refuses no target, and a target that is a digest", () => {
    expect(() => mergeTarget(undefined)).toThrow(inputError("POLYARCH_E_NO_TARGET", "no target was named"));
    expect(() => mergeTarget("")).toThrow(inputError("POLYARCH_E_NO_TARGET", "no target was named"));
    const digest = `r.example/team/app@sha256:${"0".repeat(64)}`;
    expect(() => mergeTarget(digest)).toThrow(
      inputError("POLYARCH_E_BAD_TARGET", `the target ${digest} must be a tag, not a digest`),
    );
  });
});

describe("checkMergeRequest", () => {
  it("accepts a request with sources, a tagged target and valid tags", () => {
    expect(() => checkMergeRequest(request({ tags: ["latest", "1", "v1.0_rc-2"] }))).not.toThrow();
  });

  it("refuses a request without sources", () => {
    expect(() => checkMergeRequest(request({ sources: [] }))).toThrow(
      inputError("POLYARCH_E_NO_SOURCES", "no source images were named"),
    );
  });

  it("refuses a target that names a digest, or whose tag is not a tag", () => {
    const digest = `sha256:${"0".repeat(64)}`;
    const byDigest = { ...parseReference(`r.example/team/app@${digest}`), tag: "1.0" };
    expect(() => checkMergeRequest(request({ target: byDigest }))).toThrow(
      inputError("POLYARCH_E_BAD_TARGET", "must be a tag, not a digest"),
    );
    const badTag = { ...parseReference("r.example/team/app:1.0"), tag: "-1.0" };
    expect(() => checkMergeRequest(request({ target: badTag }))).toThrow(
      inputError("POLYARCH_E_BAD_TAG", '"-1.0" is not a valid tag'),
    );
  });

  it.each(["", ".hidden", "-dash", "with space", "a:b", "x".repeat(129)])(
    "refuses the extra tag %j",
    (tag) => {
      expect(() => checkMergeRequest(request({ tags: ["latest", tag] }))).toThrow(
        inputError("POLYARCH_E_BAD_TAG", `${JSON.stringify(tag)} is not a valid tag`),
      );
    },
  );
});

describe("merge() checks its request", () => {
  it("refuses a bad request before it opens any store", async () => {
    const opened: string[] = [];
    const context = {
      openStore: (reference: { repository: string }) => {
        opened.push(reference.repository);
        throw new Error("unexpected call: openStore");
      },
    } as unknown as Parameters<typeof merge>[1];
    await expect(merge(request({ tags: ["not a tag"] }), context)).rejects.toThrow(
      inputError("POLYARCH_E_BAD_TAG", '"not a tag" is not a valid tag'),
    );
    await expect(merge(request({ sources: [] }), context)).rejects.toThrow(
      inputError("POLYARCH_E_NO_SOURCES", "no source images were named"),
    );
    expect(opened).toEqual([]);
  });
});
