import { isPolyarchError } from "@polyarch/oci";
import { describe, expect, test } from "vitest";
import { parseSettings, parseSize } from "./settings.ts";

describe("parseSettings", () => {
  test("an empty file takes every default", () => {
    expect(parseSettings("", "executor.yaml")).toEqual({
      stateDir: "/var/lib/polyarch-executor",
      defaultImage: "busybox:latest",
      helperImage: undefined,
      network: "host",
      emulation: false,
      root: "auto",
      cacheMaxBytes: 20 * 1024 ** 3,
      allowedRegistries: [],
      stopGraceSeconds: 10,
      servicesTimeoutSeconds: 30,
    });
  });

  test("reads every key", () => {
    const settings = parseSettings(
      [
        "state_dir: /srv/polyarch",
        "default_image: alpine:3.21",
        "helper_image: registry.example.com/ci/helper:v18",
        "network: none",
        "emulation: true",
        "root: copy",
        "cache: { max_size: 512MiB }",
        "allowed_registries: [registry.example.com]",
        "stop_grace_seconds: 3",
      ].join("\n"),
      "executor.yaml",
    );
    expect(settings).toMatchObject({
      network: "none",
      emulation: true,
      root: "copy",
      cacheMaxBytes: 512 * 1024 ** 2,
      stopGraceSeconds: 3,
    });
  });

  test("names every problem at once, suggesting the closest key for a typo", () => {
    let error: unknown;
    try {
      parseSettings("netwrok: none\nroot: zfs\ncache: { max_size: lots }\n", "/etc/polyarch/executor.yaml");
    } catch (caught: unknown) {
      error = caught;
    }
    expect(isPolyarchError(error, "POLYARCH_E_BAD_SPEC")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("/etc/polyarch/executor.yaml has 3 problems");
    expect(message).toContain('netwrok: unknown key; did you mean "network"?');
    expect(message).toContain('root: "zfs" is not valid; use auto or overlay or copy');
    expect(message).toContain('cache.max_size: "lots" is not a size');
  });

  test("a state dir overlay options cannot carry is refused", () => {
    expect(() => parseSettings("state_dir: /srv/a,b\n", "s.yaml")).toThrow(/state_dir: .* must not contain/);
  });
});

test.each([
  ["1048576", 1048576],
  [1048576, 1048576],
  ["10GB", 10e9],
  ["1.5 KiB", 1536],
  ["12 parsecs", undefined],
])("parseSize(%j) = %j", (input, bytes) => {
  expect(parseSize(input)).toBe(bytes);
});
