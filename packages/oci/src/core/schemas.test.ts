import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { imageIndexProblems, parseImageConfig, parseManifest } from "./schemas.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const descriptor = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: DIGEST, size: 10 };

describe("parseManifest", () => {
  it("reads an index, keeping keys the spec does not name", () => {
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ ...descriptor, platform: { os: "linux", architecture: "arm64", "x-extra": 1 } }],
      "x-builder": { any: "thing" },
    };
    const parsed = parseManifest(encode(index), DIGEST);
    expect(parsed.kind).toBe("index");
    expect(parsed.kind === "index" && parsed.index).toEqual(index);
  });

  it("reads an image manifest by its shape when nothing declares a media type", () => {
    const manifest = { schemaVersion: 2, config: descriptor, layers: [descriptor, descriptor] };
    const parsed = parseManifest(encode(manifest), DIGEST);
    expect(parsed).toMatchObject({ kind: "image", mediaType: "application/vnd.oci.image.manifest.v1+json" });
  });

  it("names every problem with its path, as one bad-manifest error", () => {
    const bad = {
      schemaVersion: 1,
      manifests: [
        { ...descriptor, digest: "md5:abc" },
        { ...descriptor, size: -1, platform: { os: "linux" } },
      ],
      annotations: { fine: "yes", wrong: 3 },
    };
    const error = thrown(() => parseManifest(encode(bad), DIGEST, "application/vnd.oci.image.index.v1+json"));
    expect(error.code).toBe("POLYARCH_E_BAD_MANIFEST");
    expect(error.message).toContain(`index ${DIGEST} does not follow the spec`);
    expect(error.message).toContain("schemaVersion: expected 2, got 1");
    expect(error.message).toContain("manifests.0.digest: not a sha256/sha512 digest");
    expect(error.message).toContain("manifests.1.size: expected a non-negative integer, got -1");
    expect(error.message).toContain("manifests.1.platform.architecture: is required");
    expect(error.message).toContain("annotations.wrong: expected a string, got number");
    expect(error.message).not.toContain("annotations.fine");
  });

  it("rejects a document that is not an object, and one that is not JSON", () => {
    expect(
      thrown(() => parseManifest(encode([1]), DIGEST, "application/vnd.oci.image.index.v1+json")).message,
    ).toContain("(root): expected an object, got array");
    expect(thrown(() => parseManifest(new TextEncoder().encode("{"), DIGEST)).message).toContain(
      "is not valid JSON",
    );
  });

  it("refuses media types polyarch does not read", () => {
    const error = thrown(() => parseManifest(encode({ schemaVersion: 2 }), DIGEST, "text/plain"));
    expect(error.code).toBe("POLYARCH_E_UNSUPPORTED_MANIFEST");
  });
});

describe("parseImageConfig", () => {
  it("requires os and architecture and a well-formed rootfs, keeping everything else", () => {
    const config = {
      os: "linux",
      architecture: "amd64",
      rootfs: { type: "layers", diff_ids: [DIGEST] },
      x: 1,
    };
    expect(parseImageConfig(encode(config), "config")).toEqual(config);
    const error = thrown(() =>
      parseImageConfig(encode({ os: "linux", rootfs: { type: "layers" } }), "config c"),
    );
    expect(error.message).toContain("architecture: is required");
    expect(error.message).toContain("rootfs.diff_ids: is required");
  });
});

describe("parseImageConfig's runtime fields", () => {
  it("takes nulls where Docker writes them, and refuses a field of the wrong type, naming it", () => {
    const nulls = {
      User: null,
      Env: null,
      Entrypoint: null,
      Cmd: null,
      WorkingDir: null,
      ExposedPorts: null,
    };
    const config = { os: "linux", architecture: "amd64", config: nulls };
    expect(parseImageConfig(encode(config), "config")).toEqual(config);
    const error = thrown(() =>
      parseImageConfig(
        encode({ ...config, config: { User: "builder", Env: "PATH=/bin", Cmd: [1], ExposedPorts: [] } }),
        "config of app:1",
      ),
    );
    expect(error.code).toBe("POLYARCH_E_BAD_MANIFEST");
    expect(error.message).toBe(
      "config of app:1 does not follow the spec: config.Env: expected an array, got string; config.Cmd.0: expected a string, got number; config.ExposedPorts: expected an object, got array",
    );
  });
});

describe("imageIndexProblems", () => {
  it("is empty for an index and lists what is wrong otherwise", () => {
    expect(imageIndexProblems({ schemaVersion: 2, manifests: [] })).toEqual([]);
    expect(imageIndexProblems({ schemaVersion: 2, manifests: {} })).toEqual([
      "manifests: expected an array, got object",
    ]);
  });
});
