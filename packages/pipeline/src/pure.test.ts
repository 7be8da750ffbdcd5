import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { renderAuthConfig } from "./auth-file.ts";
import { privateDirParent } from "./build.ts";
import { baseImageRegistries } from "./dockerfile.ts";
import { archKey, buildDotenvEntries, platformOfArchKey, renderDotenv } from "./dotenv.ts";
import { sourcesFromEnv } from "./from-env.ts";
import { requestedPlatform } from "./routing.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("requestedPlatform", () => {
  it("reads POLYARCH_PLATFORM first, then the arch of GitLab's node selector variable", () => {
    expect(requestedPlatform({ KUBERNETES_NODE_SELECTOR_ARCH: "kubernetes.io/arch=arm64" })).toEqual({
      architecture: "arm64",
      from: "KUBERNETES_NODE_SELECTOR_ARCH",
    });
    expect(
      requestedPlatform({
        POLYARCH_PLATFORM: "linux/arm/v7",
        KUBERNETES_NODE_SELECTOR_ARCH: "kubernetes.io/arch=amd64",
      }),
    ).toEqual({ architecture: "arm", variant: "v7", from: "POLYARCH_PLATFORM" });
    expect(requestedPlatform({})).toBeUndefined();
  });
});

describe("dotenv names", () => {
  it("names architectures AMD64, ARM64, ARM_V7 and reads them back", () => {
    expect(archKey({ os: "linux", architecture: "amd64" })).toBe("AMD64");
    expect(archKey({ os: "linux", architecture: "arm64", variant: "v8" })).toBe("ARM64");
    expect(archKey({ os: "linux", architecture: "arm", variant: "v7" })).toBe("ARM_V7");
    expect(platformOfArchKey("ARM_V7")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
    expect(platformOfArchKey("ARM64")).toEqual({ os: "linux", architecture: "arm64" });
    expect(platformOfArchKey("ARM")).toBeUndefined();
    expect(platformOfArchKey("SPARC")).toBeUndefined();
  });

  it("renders a build job's dotenv: image by digest and the digest", () => {
    expect(
      renderDotenv(
        buildDotenvEntries({ os: "linux", architecture: "arm", variant: "v7" }, "r.example/app", DIGEST),
      ),
    ).toBe(`POLYARCH_IMAGE_ARM_V7=r.example/app@${DIGEST}\nPOLYARCH_DIGEST_ARM_V7=${DIGEST}\n`);
  });
});

describe("sourcesFromEnv", () => {
  const env = {
    POLYARCH_IMAGE_ARM64: `r.example/app@${DIGEST}`,
    POLYARCH_DIGEST_ARM64: DIGEST,
    POLYARCH_IMAGE_AMD64: `r.example/app@${DIGEST.replace("ab", "cd")}`,
    POLYARCH_INDEX: "ignored",
  };

  it("takes every POLYARCH_IMAGE_<ARCH>, stated as that platform, in a stable order", () => {
    expect(sourcesFromEnv(env).map((s) => [s.variable, s.platform.architecture])).toEqual([
      ["POLYARCH_IMAGE_AMD64", "amd64"],
      ["POLYARCH_IMAGE_ARM64", "arm64"],
    ]);
  });

  it("with --platforms, takes exactly those, in that order, and names the ones missing", () => {
    expect(sourcesFromEnv(env, "linux/arm64").map((s) => s.variable)).toEqual(["POLYARCH_IMAGE_ARM64"]);
    const error = thrown(() => sourcesFromEnv(env, "linux/amd64,linux/arm/v7"));
    expect(error.code).toBe("POLYARCH_E_PLATFORM_NOT_BUILT");
    expect(error.message).toContain("linux/arm/v7");
    expect(error.message).toContain("POLYARCH_IMAGE_ARM_V7");
  });
});

describe("baseImageRegistries", () => {
  it("finds the registries of FROM lines, skipping stages, scratch and build-arg images", () => {
    const dockerfile = [
      "# syntax=docker/dockerfile:1",
      "ARG BASE=alpine",
      "FROM --platform=$BUILDPLATFORM golang:1.23 AS build",
      "FROM $BASE",
      "FROM build AS test",
      "from \\",
      "  ghcr.io/team/runtime:1",
      "FROM scratch",
      "FROM registry.example.com:5000/base/static@sha256:" + "0".repeat(64),
    ].join("\n");
    expect(baseImageRegistries(dockerfile)).toEqual(["docker.io", "ghcr.io", "registry.example.com:5000"]);
  });
});

describe("renderAuthConfig", () => {
  it("writes Docker's auths format, Docker Hub under both the keys builders look up", () => {
    const config = JSON.parse(
      renderAuthConfig([
        { host: "registry.example.com", credential: { kind: "basic", username: "AWS", password: "pw" } },
        { host: "docker.io", credential: { kind: "identity-token", token: "refresh" } },
        { host: "ghcr.io", credential: { kind: "registry-token", token: "bearer" } },
      ]),
    );
    expect(config).toEqual({
      auths: {
        "registry.example.com": { auth: Buffer.from("AWS:pw").toString("base64") },
        "https://index.docker.io/v1/": { identitytoken: "refresh" },
        "docker.io": { identitytoken: "refresh" },
        "ghcr.io": { registrytoken: "bearer" },
      },
    });
  });
});

describe("privateDirParent", () => {
  it("is TMPDIR when the job sets one, else /kaniko for Kaniko (which keeps it), else the OS default", () => {
    expect(privateDirParent("kaniko", "/builds/tmp")).toBe("/builds/tmp");
    expect(privateDirParent("kaniko", undefined)).toBe("/kaniko");
    expect(privateDirParent("buildah", undefined)).toBeUndefined();
    expect(privateDirParent("buildkit", undefined)).toBeUndefined();
  });
});
