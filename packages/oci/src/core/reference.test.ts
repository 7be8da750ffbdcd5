import { describe, expect, it } from "vitest";
import { isPolyarchError } from "../errors.ts";
import { formatReference, isLoopbackRegistry, parseReference, parseRegistryReference } from "./reference.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseRegistryReference", () => {
  it.each([
    ["alpine", "docker.io/library/alpine:latest"],
    ["alpine:3.20", "docker.io/library/alpine:3.20"],
    ["team/app", "docker.io/team/app:latest"],
    ["index.docker.io/library/alpine", "docker.io/library/alpine:latest"],
    ["docker.io/alpine", "docker.io/library/alpine:latest"],
    ["localhost/x", "localhost/x:latest"],
    ["localhost:5000/ns/repo:tag", "localhost:5000/ns/repo:tag"],
    [`host:5000/ns/repo:tag@${D}`, `host:5000/ns/repo:tag@${D}`],
    [`ghcr.io/a/b/c@${D}`, `ghcr.io/a/b/c@${D}`],
    [
      "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.9.0",
      "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.9.0",
    ],
    ["127.0.0.1:5000/a__b/c-d.e:V1_2", "127.0.0.1:5000/a__b/c-d.e:V1_2"],
  ])("normalizes %s to %s", (input, expected) => {
    expect(formatReference(parseRegistryReference(input))).toBe(expected);
  });

  it("keeps a digest without inventing a tag", () => {
    const ref = parseRegistryReference(`alpine@${D}`);
    expect(ref).toEqual({ kind: "registry", registry: "docker.io", repository: "library/alpine", digest: D });
  });

  it.each([
    ["", "empty"],
    ["Alpine", "uppercase"],
    ["alpine:", "not a valid tag"],
    ["alpine:-x", "not a valid tag"],
    ["alpine@sha256:123", "not a digest"],
    ["host:99999/x", "not a valid port"],
    ["a//b", "not a valid repository path component"],
    [" alpine", "surrounding spaces"],
    ["foo_/bar", "not a valid repository path component"],
  ])("refuses %j naming the problem (%s)", (input, why) => {
    try {
      parseRegistryReference(input);
      expect.unreachable();
    } catch (error: unknown) {
      expect(isPolyarchError(error, "POLYARCH_E_BAD_REFERENCE")).toBe(true);
      const e = error as Error & { kind: string; hint: string };
      expect(e.message).toContain(JSON.stringify(input));
      expect(e.message).toContain(why);
      expect(e.kind).toBe("input");
      expect(e.hint).toMatch(/registry\[:port\]/);
    }
  });
});

describe("layout references", () => {
  it.each([
    ["oci:out", { kind: "layout", path: "out" }],
    ["oci:out:v1", { kind: "layout", path: "out", tag: "v1" }],
    ["oci:/tmp/a:b/dir:latest", { kind: "layout", path: "/tmp/a:b/dir", tag: "latest" }],
    [`oci:./x@${D}`, { kind: "layout", path: "./x", digest: D }],
  ])("parses %s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it("refuses an empty directory and a bad digest", () => {
    expect(() => parseReference("oci:")).toThrow(/layout directory is empty/);
    expect(() => parseReference("oci:x@sha256:zz")).toThrow(/not a digest/);
  });
});

describe("isLoopbackRegistry", () => {
  it.each([
    ["localhost:5000", true],
    ["127.0.0.1:40000", true],
    ["127.1.2.3", true],
    ["[::1]:5000", true],
    ["registry.localhost", true],
    ["ghcr.io", false],
    ["127.0.0.1.example.com", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopbackRegistry(host)).toBe(expected);
  });
});
