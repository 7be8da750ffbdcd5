import { describe, expect, it } from "vitest";
import { formatPlatform, parsePlatform, parsePlatformList, platformsEqual } from "./platform.ts";

describe("platforms", () => {
  it.each([
    ["linux/amd64", "linux/amd64"],
    ["linux/x86_64", "linux/amd64"],
    ["linux/aarch64", "linux/arm64"],
    ["linux/arm64/v8", "linux/arm64"],
    ["linux/arm", "linux/arm/v7"],
    ["linux/arm/6", "linux/arm/v6"],
    ["linux/armhf", "linux/arm/v7"],
    ["linux/armel", "linux/arm/v6"],
    ["Linux/AMD64", "linux/amd64"],
    ["linux/amd64/v1", "linux/amd64"],
    ["linux/amd64/v3", "linux/amd64/v3"],
    ["linux/arm64/v9.0", "linux/arm64/v9"],
    ["linux/s390x", "linux/s390x"],
    ["windows/amd64", "windows/amd64"],
  ])("normalizes %s to %s like containerd", (input, expected) => {
    expect(formatPlatform(parsePlatform(input))).toBe(expected);
  });

  it.each(["amd64", "linux/", "/amd64", "linux/arm/v7/x", "linux/am d64"])(
    "refuses %j with the valid form",
    (input) => {
      expect(() => parsePlatform(input)).toThrow(
        expect.objectContaining({
          message: `${JSON.stringify(input)} is not a platform`,
          hint: expect.stringMatching(/os\/arch\[\/variant\], for example linux\/amd64/),
          kind: "input",
        }),
      );
    },
  );

  it("treats arm64/v8 and arm64 as the same platform", () => {
    expect(
      platformsEqual(
        { os: "linux", architecture: "arm64", variant: "v8" },
        { os: "linux", architecture: "arm64" },
      ),
    ).toBe(true);
    expect(
      platformsEqual(
        { os: "linux", architecture: "arm", variant: "v6" },
        { os: "linux", architecture: "arm" },
      ),
    ).toBe(false);
  });

  it("parses a list and refuses duplicates after normalization and an empty list", () => {
    expect(parsePlatformList("linux/amd64, linux/arm64").map(formatPlatform)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    expect(() => parsePlatformList("linux/arm64,linux/aarch64")).toThrow(
      /"linux\/aarch64" names the same platform as "linux\/arm64"/,
    );
    expect(() => parsePlatformList(" , ")).toThrow(/empty/);
  });
});
