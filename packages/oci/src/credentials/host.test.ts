import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import {
  configKeyHost,
  DOCKER_HUB_CONFIG_KEY,
  findHostEntry,
  helperServerUrl,
  normalizeRegistryHost,
} from "./host.ts";

describe("normalizeRegistryHost", () => {
  it.each([
    ["registry.example.com", "registry.example.com"],
    ["Registry.Example.COM:5000", "registry.example.com:5000"],
    ["https://registry.example.com:5000/v2/", "registry.example.com:5000"],
    ["localhost:5000", "localhost:5000"],
    ["[::1]:5000", "[::1]:5000"],
    ["docker.io", "docker.io"],
    ["index.docker.io", "docker.io"],
    ["registry-1.docker.io", "docker.io"],
    [DOCKER_HUB_CONFIG_KEY, "docker.io"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRegistryHost(input)).toBe(expected);
  });

  it("keeps ports apart: a port is a different registry", () => {
    expect(normalizeRegistryHost("registry.example.com:443")).not.toBe(
      normalizeRegistryHost("registry.example.com"),
    );
  });

  it.each(["", "  ", "user:pass@registry.example.com", "https:///v2/"])(
    "rejects %j with an input error",
    (input) => {
      let caught: unknown;
      try {
        normalizeRegistryHost(input);
      } catch (error: unknown) {
        caught = error;
      }
      expect(isPolyarchError(caught, "POLYARCH_E_REGISTRY_HOST")).toBe(true);
      expect((caught as { kind: string }).kind).toBe("input");
    },
  );
});

describe("configKeyHost", () => {
  it.each([
    ["https://index.docker.io/v1/", "docker.io"],
    ["registry.example.com", "registry.example.com"],
    ["https://registry.example.com", "registry.example.com"],
    ["http://localhost:5000/v2/", "localhost:5000"],
    ["registry.example.com/v2/", "registry.example.com"],
    ["https://registry.example.com/some/path", "registry.example.com"],
  ])("%s → %s", (key, expected) => {
    expect(configKeyHost(key)).toBe(expected);
  });

  it("treats a schemeless key with a path as a namespace, not a whole registry", () => {
    expect(configKeyHost("quay.io/org")).toBeUndefined();
    expect(configKeyHost("quay.io/org/repo")).toBeUndefined();
  });
});

describe("findHostEntry", () => {
  it("prefers Docker's exact Hub key over aliases written by other tools", () => {
    const entries = { "docker.io": "alias", [DOCKER_HUB_CONFIG_KEY]: "canonical" };
    expect(findHostEntry(entries, "docker.io")).toEqual({ key: DOCKER_HUB_CONFIG_KEY, value: "canonical" });
  });

  it("finds a Hub entry written under any alias or URL", () => {
    expect(findHostEntry({ "registry-1.docker.io": 1 }, "docker.io")?.value).toBe(1);
    expect(findHostEntry({ "https://index.docker.io/v2/": 2 }, "docker.io")?.value).toBe(2);
  });

  it("prefers an exact key, then the first key that normalizes to the host", () => {
    const entries = { "https://r.example/": "url", "http://r.example/v2/": "second", "r.example": "exact" };
    expect(findHostEntry(entries, "r.example")?.value).toBe("exact");
    expect(
      findHostEntry({ "https://r.example/": "url", "http://r.example/v2/": "second" }, "r.example")?.value,
    ).toBe("url");
  });

  it("does not match another port, another host, or a namespaced key", () => {
    const entries = { "r.example:5000": 1, "other.example": 2, "r.example/team": 3 };
    expect(findHostEntry(entries, "r.example")).toBeUndefined();
    expect(findHostEntry(entries, "r.example:5001")).toBeUndefined();
    expect(findHostEntry(entries, "r.example:5000")?.value).toBe(1);
    expect(findHostEntry(undefined, "r.example")).toBeUndefined();
  });

  it("does not match keys inherited from Object.prototype", () => {
    expect(findHostEntry({}, "constructor")).toBeUndefined();
  });
});

describe("helperServerUrl", () => {
  it("asks helpers about Docker Hub by the URL docker login stores it under", () => {
    expect(helperServerUrl("docker.io")).toBe(DOCKER_HUB_CONFIG_KEY);
    expect(helperServerUrl("registry.example.com:5000")).toBe("registry.example.com:5000");
  });
});
