import { describe, expect, it } from "vitest";
import { parseChallenges } from "./challenge.ts";
import { nextLink } from "./repository.ts";
import { parseRetryAfter } from "./retry.ts";
import { mergeScopes, scopesForRequest } from "./scopes.ts";

describe("parseChallenges", () => {
  it("reads a Bearer challenge with quoted params, including insufficient_scope", () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="insufficient_scope"',
    );
    expect(c).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "registry.example",
        scope: "repository:a/b:pull,push",
        error: "insufficient_scope",
      },
    });
  });

  it("reads Basic and several challenges in one header", () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([
      { scheme: "basic", params: { realm: "Registry Realm" } },
    ]);
    expect(parseChallenges(['Basic realm="x"', 'Bearer realm="y"']).map((c) => c.scheme)).toEqual([
      "basic",
      "bearer",
    ]);
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

describe("scopes", () => {
  it("derives pull for reads, pull+push for writes, and source pull for a mount", () => {
    expect(scopesForRequest("GET", "/v2/team/app/manifests/latest")).toEqual(["repository:team/app:pull"]);
    expect(scopesForRequest("HEAD", "/v2/a/blobs/sha256:x")).toEqual(["repository:a:pull"]);
    expect(scopesForRequest("PUT", "/v2/a/manifests/v1")).toEqual(["repository:a:pull,push"]);
    expect(scopesForRequest("POST", "/v2/dst/blobs/uploads/?mount=sha256:x&from=src%2Fimg")).toEqual([
      "repository:dst:pull,push",
      "repository:src/img:pull",
    ]);
    expect(scopesForRequest("GET", "/v2/")).toEqual([]);
    expect(scopesForRequest("GET", "/v2/a/tags/list?n=10")).toEqual(["repository:a:pull"]);
  });

  it("merges actions per resource into a stable order", () => {
    expect(mergeScopes(["repository:b:push", "repository:a:pull", "repository:b:pull"])).toEqual([
      "repository:a:pull",
      "repository:b:pull,push",
    ]);
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe("nextLink", () => {
  it("follows rel=next", () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"')).toBe("/v2/a/tags/list?last=b&n=2");
    expect(nextLink('</x>; rel="prev"')).toBeUndefined();
  });
});
