import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
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

describe("references with credentials or a scheme", () => {
  const refusal = (input: string): Error & { kind: string; hint: string; code: string } => {
    try {
      parseReference(input);
    } catch (error: unknown) {
      return error as Error & { kind: string; hint: string; code: string };
    }
    return expect.unreachable();
  };

  it.each([
    ["bob:hunter22@registry.example.com/app:1", "***@registry.example.com/app:1"],
    ["bob:hunter22@localhost:5000/app", "***@localhost:5000/app"],
    ["bob:hun@ter/22@registry.example.com/app:1", "***@registry.example.com/app:1"],
    ["bob:hunter22@registry.example.com", "***@registry.example.com"],
    ["bob:hunter22@myregistry:5000", "***@myregistry:5000"],
    ["x-access-token:hunter22@ghcr.io/team/app", "***@ghcr.io/team/app"],
    [`bob:hunter22@registry.example.com/app@${D}`, `***@registry.example.com/app@${D}`],
    [" bob:hunter22@registry.example.com/app", "***@registry.example.com/app"],
    ["https://bob:hunter22@registry.example.com/app:1", "https://***@registry.example.com/app:1"],
  ])("refuses %j, masking the credentials as %j", (input, shown) => {
    const error = refusal(input);
    expect(isPolyarchError(error, "POLYARCH_E_BAD_REFERENCE")).toBe(true);
    expect(error.kind).toBe("input");
    expect(error.message).toBe(
      `"${shown}" is not a valid image reference: it carries credentials (user:password@ before the registry)`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain("hunter22");
    expect(error.hint).toContain("--username/--password");
    expect(error.hint).toContain("docker login");
    expect(error.hint).toContain("references have no scheme");
  });

  it.each([
    ["https://registry.example.com/app:1", "registry.example.com/app:1"],
    ["docker://alpine", "alpine"],
    ["http://localhost:5000/app?token=hunter22", "localhost:5000/app?token=***"],
  ])("refuses the scheme of %j and suggests %j", (input, bare) => {
    const error = refusal(input);
    expect(isPolyarchError(error, "POLYARCH_E_BAD_REFERENCE")).toBe(true);
    expect(error.message).toMatch(/references have no scheme/);
    expect(error.hint).toContain(`as ${bare};`);
    expect(error.hint).toContain("--username/--password");
    expect(`${error.message} ${error.hint}`).not.toContain("hunter22");
  });

  it.each([`alpine:3.20@${D}`, `localhost:5000/app:1@${D}`, "alpine@latest"])(
    "does not take the digest of %j for credentials",
    (input) => {
      try {
        parseReference(input);
      } catch (error: unknown) {
        expect((error as Error).message).not.toMatch(/credentials|\*\*\*/);
      }
    },
  );
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
