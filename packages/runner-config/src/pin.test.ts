import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, test, vi } from "vitest";
import { pinHelperImage } from "./pin.ts";
import { renderConfigToml } from "./render-toml.ts";
import { DIGEST, fleetFrom, minimalFleetData } from "./testing/fleets.ts";
import { fleetWarnings } from "./warnings.ts";

const unpinned = () => {
  const data = minimalFleetData();
  data.helper_image = "registry.example.com/ci/gitlab-runner-helper:v18.10.0";
  return fleetFrom(data);
};

describe("pinHelperImage", () => {
  test("pins a tagged helper image by the digest the resolver returns, keeping the tag", async () => {
    const resolveDigest = vi.fn(async () => DIGEST);
    const fleet = unpinned();
    expect(fleetWarnings(fleet)).toEqual([expect.stringContaining("is not pinned by digest")]);
    const pinned = await pinHelperImage(fleet, resolveDigest);
    expect(resolveDigest).toHaveBeenCalledWith("registry.example.com/ci/gitlab-runner-helper:v18.10.0");
    expect(pinned.helper_image).toBe(`registry.example.com/ci/gitlab-runner-helper:v18.10.0@${DIGEST}`);
    expect(renderConfigToml(pinned)).toContain(
      `helper_image = "registry.example.com/ci/gitlab-runner-helper:v18.10.0@${DIGEST}"`,
    );
    expect(fleetWarnings(pinned)).toEqual([]);
    expect(fleet.helper_image).toBe("registry.example.com/ci/gitlab-runner-helper:v18.10.0");
  });

  test("leaves an image that is already pinned alone, without asking the registry", async () => {
    const fleet = fleetFrom(minimalFleetData());
    const resolveDigest = vi.fn(async () => `sha256:${"0".repeat(64)}`);
    expect(await pinHelperImage(fleet, resolveDigest)).toBe(fleet);
    expect(resolveDigest).not.toHaveBeenCalled();
  });

  test("refuses an answer that is not a sha256 digest", async () => {
    const error = await pinHelperImage(unpinned(), async () => "latest").catch((caught: unknown) => caught);
    expect(isPolyarchError(error, "POLYARCH_E_REGISTRY")).toBe(true);
  });

  test("lets the resolver's failure through unchanged", async () => {
    const failure = new Error("registry unreachable");
    await expect(pinHelperImage(unpinned(), async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
