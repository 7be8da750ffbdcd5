import type { Descriptor } from "@polyarch/oci";
import { describe, expect, test } from "vitest";
import { chooseChild, judgePlatform, type PlatformPolicy } from "./platform.ts";

const child = (architecture: string, digest: string, extra: Partial<Descriptor> = {}): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${digest.repeat(64).slice(0, 64)}`,
  size: 1,
  platform: { os: "linux", architecture },
  ...extra,
});

const native: PlatformPolicy = {
  host: { os: "linux", architecture: "amd64" },
  emulation: false,
  emulated: ["arm64"],
};
const emulating: PlatformPolicy = { ...native, emulation: true };

describe("platform choice", () => {
  test("an index gives the child for the host, skipping attestations", () => {
    const attestation = child("unknown", "c", { platform: { os: "unknown", architecture: "unknown" } });
    const picked = chooseChild("app", [child("arm64", "a"), attestation, child("amd64", "b")], native);
    expect(picked.child.digest).toMatch(/^sha256:b/);
    expect(picked.emulated).toBe(false);
  });

  test("an index gives the best child the host runs, whatever the order: never a level above the host's", () => {
    const variant = (architecture: string, v: string | undefined, digest: string) =>
      child(architecture, digest, { platform: { os: "linux", architecture, ...(v && { variant: v }) } });
    const levels = [
      variant("amd64", "v4", "4"),
      variant("amd64", "v3", "3"),
      variant("amd64", undefined, "1"),
    ];
    const at = (level: string | undefined): PlatformPolicy => ({
      ...native,
      host: { os: "linux", architecture: "amd64", ...(level && { variant: level }) },
    });
    expect(chooseChild("app", levels, at(undefined)).child.digest).toMatch(/^sha256:1/);
    expect(chooseChild("app", levels, at("v3")).child.digest).toMatch(/^sha256:3/);
    expect(chooseChild("app", levels, at("v2")).child.digest).toMatch(/^sha256:1/);
    const arm = [variant("arm", "v6", "6"), variant("arm", "v7", "7")];
    const armHost: PlatformPolicy = { ...native, host: { os: "linux", architecture: "arm", variant: "v7" } };
    expect(chooseChild("app", arm, armHost).child.digest).toMatch(/^sha256:7/);
  });

  test("a single image of a level above the host's is refused, one at or below runs", () => {
    const v2: PlatformPolicy = { ...native, host: { os: "linux", architecture: "amd64", variant: "v2" } };
    expect(() => judgePlatform("app", { os: "linux", architecture: "amd64", variant: "v3" }, v2)).toThrow(
      /image app cannot run on this linux\/amd64\/v2 host: it is linux\/amd64\/v3/,
    );
    expect(judgePlatform("app", { os: "linux", architecture: "amd64" }, v2).emulated).toBe(false);
  });

  test("an index without the host's platform is refused, or emulated when allowed", () => {
    expect(() => chooseChild("app", [child("arm64", "a")], native)).toThrow(
      /image app cannot run on this linux\/amd64 host: its index offers linux\/arm64/,
    );
    expect(chooseChild("app", [child("arm64", "a")], emulating)).toMatchObject({ emulated: true });
    expect(() => chooseChild("app", [child("s390x", "a")], emulating)).toThrow(
      expect.objectContaining({ hint: expect.stringContaining("no binfmt_misc handler runs it here") }),
    );
  });

  test("a single-platform image of another architecture is refused naming both, unless emulated", () => {
    expect(() => judgePlatform("app", { os: "linux", architecture: "arm64" }, native)).toThrow(
      expect.objectContaining({
        code: "POLYARCH_E_IMAGE_PLATFORM",
        message: expect.stringContaining("it is linux/arm64"),
      }),
    );
    expect(judgePlatform("app", { os: "linux", architecture: "aarch64" }, emulating)).toEqual({
      platform: { os: "linux", architecture: "arm64" },
      emulated: true,
    });
    expect(judgePlatform("app", { os: "linux", architecture: "x86_64" }, native).emulated).toBe(false);
  });
});
