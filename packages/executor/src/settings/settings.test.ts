import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, test } from "vitest";
import { defaultStateDir, parseSettings, parseSize, type SettingsReader } from "./settings.ts";

const root: SettingsReader = { uid: 0, env: { XDG_STATE_HOME: "/ignored/for/root" }, home: "/root" };
const runner: SettingsReader = { uid: 999, env: {}, home: "/home/gitlab-runner" };

describe("parseSettings", () => {
  test("an empty file takes every default", () => {
    expect(parseSettings("", "executor.yaml", root)).toEqual({
      stateDir: "/var/lib/polyarch-executor",
      defaultImage: "busybox:latest",
      helperImage: undefined,
      network: undefined,
      isolatedHostPorts: [],
      emulation: false,
      root: "auto",
      cacheMaxBytes: 20 * 1024 ** 3,
      allowedRegistries: [],
      stopGraceSeconds: 10,
      servicesTimeoutSeconds: 30,
      limits: {},
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
        'cpu: "1.5"',
        "memory: 512Mi",
      ].join("\n"),
      "executor.yaml",
      root,
    );
    expect(settings).toMatchObject({
      network: "none",
      emulation: true,
      root: "copy",
      cacheMaxBytes: 512 * 1024 ** 2,
      stopGraceSeconds: 3,
      limits: { cpu: 1.5, memoryBytes: 512 * 1024 ** 2 },
    });
  });

  test("cpu and memory that are not a number of CPUs or a size are refused, naming the value", () => {
    expect(() => parseSettings("cpu: lots\nmemory: 1Xi\n", "executor.yaml", root)).toThrow(
      /cpu: "lots" is not a number of CPUs; write e\.g\. 1\.5 or 2[\s\S]*memory: "1Xi" is not a size/,
    );
  });

  test("memory: 0 is refused (it would kill every job), naming how to have no limit", () => {
    expect(() => parseSettings("memory: 0\n", "executor.yaml", root)).toThrow(
      /memory: 0 would leave a job no memory at all; leave memory out for no limit/,
    );
    expect(() => parseSettings('memory: "0Mi"\n', "executor.yaml", root)).toThrow(
      /memory: "0Mi" would leave/,
    );
  });

  test("names every problem at once, suggesting the closest key for a typo", () => {
    let error: unknown;
    try {
      parseSettings(
        "netwrok: none\nroot: zfs\ncache: { max_size: lots }\n",
        "/etc/polyarch/executor.yaml",
        root,
      );
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
    expect(() => parseSettings("state_dir: /srv/a,b\n", "s.yaml", root)).toThrow(
      /state_dir: .* must not contain/,
    );
  });

  test("an ordinary user's state dir defaults to their own, not the system's", () => {
    expect(parseSettings("", "executor.yaml", runner).stateDir).toBe(
      "/home/gitlab-runner/.local/state/polyarch-executor",
    );
    expect(parseSettings("state_dir: /srv/ci\n", "executor.yaml", runner).stateDir).toBe("/srv/ci");
  });

  test("a user with no absolute HOME or XDG_STATE_HOME is told to set state_dir", () => {
    expect(() => parseSettings("", "s.yaml", { uid: 999, env: {}, home: "" })).toThrow(
      /state_dir: the default \(".local\/state\/polyarch-executor"\) is not an absolute path.*set state_dir/,
    );
  });

  test("a default state dir overlay options cannot carry is refused, naming the setting that fixes it", () => {
    expect(() => parseSettings("", "s.yaml", { ...runner, home: "/home/a b" })).toThrow(
      /state_dir: "\/home\/a b\/.local\/state\/polyarch-executor" \(the default; set state_dir/,
    );
  });
});

test.each<[string, SettingsReader, string]>([
  ["root", root, "/var/lib/polyarch-executor"],
  [
    "a user with XDG_STATE_HOME",
    { uid: 999, env: { XDG_STATE_HOME: "/srv/state" }, home: "/h" },
    "/srv/state/polyarch-executor",
  ],
  ["a user without it", { uid: 999, env: {}, home: "/h" }, "/h/.local/state/polyarch-executor"],
  [
    "a user with a relative one (invalid, ignored)",
    { uid: 999, env: { XDG_STATE_HOME: "state" }, home: "/h" },
    "/h/.local/state/polyarch-executor",
  ],
])("the state dir of %s defaults to their own", (_who, reader, expected) => {
  expect(defaultStateDir(reader)).toBe(expected);
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
