import { isPolyarchError } from "@polyarch/errors";
import { parsePlatform } from "@polyarch/oci";
import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { cacheRepositoryOf } from "./cache-repository.ts";

describe("cacheRepositoryOf", () => {
  it("gives each platform its own repository under the one given", () => {
    expect(cacheRepositoryOf("registry.example.com/team/app/cache", parsePlatform("linux/amd64"))).toBe(
      "registry.example.com/team/app/cache/linux-amd64",
    );
    expect(cacheRepositoryOf("127.0.0.1:5000/cache", parsePlatform("linux/arm/v7"))).toBe(
      "127.0.0.1:5000/cache/linux-arm-v7",
    );
  });

  it("refuses a repository with a tag or a digest, as bad input naming it", () => {
    for (const repository of [
      "registry.example.com/app:cache",
      `registry.example.com/app@sha256:${"a".repeat(64)}`,
    ]) {
      const error = thrown(() => cacheRepositoryOf(repository, parsePlatform("linux/amd64")));
      expect(isPolyarchError(error) && error.code).toBe("POLYARCH_E_BAD_FLAG");
      expect((error as Error).message).toContain(repository);
    }
  });
});
