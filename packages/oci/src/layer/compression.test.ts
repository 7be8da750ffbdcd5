import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { compressionOfMediaType, createDecompressor, sniffCompression } from "./compression.ts";

describe("compressionOfMediaType", () => {
  it.each([
    ["application/vnd.oci.image.layer.v1.tar", "none"],
    ["application/vnd.oci.image.layer.v1.tar+gzip", "gzip"],
    ["application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "gzip"],
    ["application/vnd.oci.image.layer.v1.tar+zstd", "zstd"],
    ["application/vnd.docker.image.rootfs.diff.tar.gzip", "gzip"],
    ["application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "gzip"],
    ["application/octet-stream", "none"],
  ] as const)("%s → %s", (mediaType, expected) => {
    expect(compressionOfMediaType(mediaType)).toBe(expected);
  });
});

describe("sniffCompression", () => {
  it.each([
    ["gzip", [0x1f, 0x8b, 0x08, 0x00], "gzip"],
    ["zstd", [0x28, 0xb5, 0x2f, 0xfd], "zstd"],
    ["a tar header (a file name)", [0x62, 0x69, 0x6e, 0x2f], undefined],
    ["too few bytes for zstd", [0x28, 0xb5], undefined],
  ] as const)("%s", (_name, bytes, expected) => {
    expect(sniffCompression(Uint8Array.from(bytes))).toBe(expected);
  });
});

describe("createDecompressor", () => {
  it("says what to do when Node.js has no zstd", () => {
    const noZstd = { createGunzip: () => createDecompressor("gzip"), createZstdDecompress: undefined };
    let error: unknown;
    try {
      createDecompressor("zstd", noZstd);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(isPolyarchError(error, "POLYARCH_E_LAYER_UNSUPPORTED")).toBe(true);
    expect((error as { hint: string }).hint).toContain("Node.js 22.15");
  });
});
