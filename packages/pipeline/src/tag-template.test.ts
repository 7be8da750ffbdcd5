import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { destinationOf } from "./tag-template.ts";

const arm64 = { os: "linux", architecture: "arm64" };
const armv7 = { os: "linux", architecture: "arm", variant: "v7" };
const env = {
  CI_COMMIT_SHORT_SHA: "1a2b3c",
  CI_PIPELINE_ID: "42",
  CI_JOB_ID: "7",
  CI_COMMIT_REF_SLUG: "main",
};

describe("destinationOf", () => {
  it("writes the first write-up's style, image:arch-SHA", () => {
    expect(destinationOf("registry.example.com/app", "{arch}-{sha}", arm64, env)).toEqual({
      kind: "registry",
      registry: "registry.example.com",
      repository: "app",
      tag: "arm64-1a2b3c",
    });
  });

  it("writes the second write-up's style, image-arch:tag", () => {
    expect(destinationOf("registry.example.com/app-{arch}", "{sha}", arm64, env)).toMatchObject({
      repository: "app-arm64",
      tag: "1a2b3c",
    });
  });

  it("fills every placeholder, the variant empty when there is none", () => {
    expect(
      destinationOf("r.example/app", "{os}-{arch}{variant}-{ref}-{pipeline}-{job}", armv7, env).tag,
    ).toBe("linux-armv7-main-42-7");
    expect(destinationOf("r.example/app", "{arch}{variant}", arm64, env).tag).toBe("arm64");
  });

  it("refuses templates that cannot be filled or give a bad tag", () => {
    expect(thrown(() => destinationOf("r.example/app", "latest", arm64, env)).message).toContain(
      "has no {arch}",
    );
    expect(thrown(() => destinationOf("r.example/app", "{arch}-{commit}", arm64, env)).message).toContain(
      "unknown placeholder {commit}",
    );
    expect(thrown(() => destinationOf("r.example/app", "{arch}-{sha}", arm64, {})).message).toContain(
      "CI_COMMIT_SHORT_SHA is not set",
    );
    expect(thrown(() => destinationOf("r.example/app", "-{arch}", arm64, env)).code).toBe(
      "POLYARCH_E_BAD_TAG",
    );
  });
});
