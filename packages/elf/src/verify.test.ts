import { isPolyarchError } from "@polyarch/errors";
import { beforeAll, describe, expect, it } from "vitest";
import {
  elfHeaderBytes,
  layerBytes,
  layerSource,
  MEDIA_TYPES,
  readBusybox,
  type TarFixtureEntry,
  tarBytes,
  webStream,
} from "./testing/layers.ts";
import { type LayerSource, verifyBinaries } from "./verify.ts";

const HELPER = "/usr/bin/gitlab-runner-helper";

let amd64: Uint8Array;
let arm64: Uint8Array;
beforeAll(async () => {
  amd64 = await readBusybox("amd64");
  arm64 = await readBusybox("arm64");
});

async function gzipLayers(...layers: TarFixtureEntry[][]): Promise<LayerSource[]> {
  return Promise.all(
    layers.map(async (entries, index) =>
      layerSource(await layerBytes(entries, "gzip"), MEDIA_TYPES.gzip, [], `layer${index}`),
    ),
  );
}

describe("verifyBinaries", () => {
  it("reads a layer labelled gzip but stored as plain tar, and notes the label", async () => {
    const plain = await tarBytes([{ path: "bin/busybox", data: amd64 }]);
    const layers = [layerSource(plain, MEDIA_TYPES.gzip, [], "plain")];
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result).toMatchObject({ ok: true, checked: 1, mismatches: [] });
    expect(result.notes).toEqual([
      `layer 1 of 1 (sha256:plain): the media type ${MEDIA_TYPES.gzip} says gzip-compressed tar, but the bytes are plain tar: read as plain tar`,
    ]);
  });

  it("accepts an amd64 image whose binaries are x86-64", async () => {
    const layers = await gzipLayers(
      [
        { path: "bin/busybox", data: amd64 },
        { path: "bin/sh", type: "symlink", linkname: "busybox" },
      ],
      [{ path: "usr/bin/gitlab-runner-helper", data: amd64 }],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result).toMatchObject({ ok: true, checked: 2, scope: "all", mismatches: [], notes: [] });
    expect(result.machines).toEqual([{ architecture: "amd64", name: "x86-64", count: 2 }]);
    expect(result.summary).toBe(
      "2 ELF executables checked (/bin/busybox, /usr/bin/gitlab-runner-helper): x86-64, matching amd64",
    );
  });

  it("catches a helper image labelled amd64 whose helper is an arm64 binary", async () => {
    const layers = await gzipLayers([{ path: "usr/bin/gitlab-runner-helper", data: arm64 }]);
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" }, paths: [HELPER] });
    expect(result.ok).toBe(false);
    expect(result.mismatches).toEqual([
      {
        path: HELPER,
        found: { architecture: "arm64" },
        foundName: "AArch64",
        layer: { position: 1, digest: expect.any(String) },
      },
    ]);
    expect(result.summary).toBe(`1 of 1 ELF executable not amd64: ${HELPER} is AArch64`);
  });

  it("catches a Kaniko cache leak: an arm64 image whose top layer holds x86-64 binaries", async () => {
    const layers = await gzipLayers(
      [{ path: "bin/busybox", data: arm64 }],
      [{ path: "usr/local/bin/app", data: amd64 }],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "arm64", variant: "v8" } });
    expect(result.ok).toBe(false);
    expect(result.mismatches).toEqual([
      {
        path: "/usr/local/bin/app",
        found: { architecture: "amd64" },
        foundName: "x86-64",
        layer: { position: 2, digest: layers[1]?.digest },
      },
    ]);
    expect(result.machines).toEqual([
      { architecture: "arm64", name: "AArch64", count: 1 },
      { architecture: "amd64", name: "x86-64", count: 1 },
    ]);
  });

  it("forgets a bad binary that a later layer whites out", async () => {
    const layers = await gzipLayers(
      [
        { path: "bin/busybox", data: amd64 },
        { path: "usr/bin/bad", data: arm64 },
        { path: "opt/arm/bin/busybox", data: arm64 },
      ],
      [
        { path: "usr/bin/.wh.bad", data: "" },
        { path: "opt/.wh.arm", data: "" },
      ],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result).toMatchObject({ ok: true, checked: 1, mismatches: [] });
  });

  it("applies an opaque directory to the layers below only, not to its own layer", async () => {
    const layers = await gzipLayers(
      [{ path: "opt/old", data: arm64 }],
      [
        { path: "opt/new", data: arm64 },
        { path: "opt/.wh..wh..opq", data: "" },
      ],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result.mismatches.map((mismatch) => mismatch.path)).toEqual(["/opt/new"]);
  });

  it("lets a later layer replace a bad binary, with a good one or with a script", async () => {
    const layers = await gzipLayers(
      [
        { path: "usr/bin/tool", data: arm64 },
        { path: "usr/bin/other", data: arm64 },
        { path: "usr/lib/plugins", data: arm64 },
      ],
      [
        { path: "usr/bin/tool", data: amd64 },
        { path: "usr/bin/other", data: "#!/bin/sh\n" },
        { path: "usr/lib/plugins", type: "directory" },
      ],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result).toMatchObject({ ok: true, checked: 1 });
  });

  it("checks only `paths` when they are found, ignoring other foreign binaries", async () => {
    const layers = await gzipLayers([
      { path: "usr/bin/gitlab-runner-helper", data: amd64 },
      { path: "usr/bin/qemu-aarch64-static", data: arm64 },
    ]);
    const result = await verifyBinaries({
      layers,
      expected: { architecture: "amd64" },
      paths: ["./usr/bin/gitlab-runner-helper", "/usr/bin/missing"],
    });
    expect(result).toMatchObject({ ok: true, checked: 1, scope: "paths" });
    expect(result.notes).toEqual(["not an ELF executable in the image: /usr/bin/missing"]);
  });

  it("resolves `paths` through symlinks across layers (merged /usr)", async () => {
    const layers = await gzipLayers(
      [{ path: "bin", type: "symlink", linkname: "usr/bin" }],
      [
        { path: "usr/bin/busybox", data: arm64 },
        { path: "usr/bin/gitlab-runner-helper", type: "symlink", linkname: "../../opt/helper/helper" },
      ],
      [{ path: "opt/helper/helper", data: arm64 }],
    );
    const result = await verifyBinaries({
      layers,
      expected: { architecture: "amd64" },
      paths: ["/bin/gitlab-runner-helper"],
    });
    expect(result.scope).toBe("paths");
    expect(result.mismatches).toEqual([
      {
        path: "/bin/gitlab-runner-helper",
        found: { architecture: "arm64" },
        foundName: "AArch64",
        layer: { position: 3, digest: layers[2]?.digest },
      },
    ]);
  });

  it("falls back to every ELF executable when none of `paths` is in the image", async () => {
    const layers = await gzipLayers([
      { path: "usr/bin/gitlab-runner-helper", data: "#!/bin/sh\n" },
      { path: "bin/busybox", data: arm64 },
    ]);
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" }, paths: [HELPER] });
    expect(result).toMatchObject({ ok: false, checked: 1, scope: "all" });
    expect(result.mismatches.map((mismatch) => mismatch.path)).toEqual(["/bin/busybox"]);
    expect(result.notes).toEqual([
      `none of ${HELPER} is an ELF executable in the image; checked every ELF executable instead`,
    ]);
  });

  it("counts a hardlink as its target, across layers and after the target is deleted", async () => {
    const layers = await gzipLayers(
      [{ path: "bin/busybox", data: arm64 }],
      [{ path: "bin/ls", type: "link", linkname: "bin/busybox" }],
      [{ path: "bin/.wh.busybox", data: "" }],
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result.mismatches).toEqual([
      // The hardlink is the layer's own entry: that layer is the one to blame.
      {
        path: "/bin/ls",
        found: { architecture: "arm64" },
        foundName: "AArch64",
        layer: { position: 2, digest: layers[1]?.digest },
      },
    ]);
  });

  it("passes an image without ELF files, with checked 0 and a note", async () => {
    const layers = await gzipLayers([{ path: "etc/motd", data: "hello\n" }]);
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result).toMatchObject({ ok: true, checked: 0, mismatches: [] });
    expect(result.notes).toEqual([
      "no ELF executables in the image: its architecture cannot be checked from its binaries",
    ]);
    expect(result.summary).toBe(
      "no ELF executables in 1 layer(s); amd64 could not be checked from the binaries",
    );
  });

  it("accepts a 32-bit ARM binary for arm/v7 and names it for arm64", async () => {
    const arm = elfHeaderBytes({ class: 32, endianness: "little", machine: 40, flags: 0x05000400 });
    const layers = await gzipLayers([{ path: "bin/app", data: arm }]);
    expect((await verifyBinaries({ layers, expected: { architecture: "arm", variant: "v7" } })).ok).toBe(
      true,
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "arm64" } });
    expect(result.summary).toBe("1 of 1 ELF executable not arm64: /bin/app is ARM");
  });

  it("lists three mismatches in the summary and counts the rest", async () => {
    const layers = await gzipLayers(
      ["a", "b", "c", "d", "e"].map((name) => ({ path: `bin/${name}`, data: arm64 })),
    );
    const result = await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(result.summary).toBe(
      "5 of 5 ELF executables not amd64: /bin/a is AArch64, /bin/b is AArch64, /bin/c is AArch64, and 2 more",
    );
  });

  it("opens the layers one at a time, in order", async () => {
    const log: string[] = [];
    const bytes = await tarBytes([{ path: "bin/busybox", data: amd64 }]);
    const layers: LayerSource[] = ["first", "second"].map((name) => ({
      mediaType: MEDIA_TYPES.tar,
      async open() {
        log.push(`open ${name}`);
        // Logs when the scanner has read the layer to its end.
        return webStream(bytes).pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({ flush: () => void log.push(`end ${name}`) }),
        );
      },
    }));
    await verifyBinaries({ layers, expected: { architecture: "amd64" } });
    expect(log).toEqual(["open first", "end first", "open second", "end second"]);
  });

  it("names the layer that is corrupt", async () => {
    const good = await layerBytes([{ path: "bin/busybox", data: amd64 }], "gzip");
    const layers = [
      layerSource(good, MEDIA_TYPES.gzip, [], "good"),
      layerSource(good.subarray(0, 5000), MEDIA_TYPES.gzip, [], "cut"),
    ];
    const error: unknown = await verifyBinaries({ layers, expected: { architecture: "amd64" } }).catch(
      (caught: unknown) => caught,
    );
    expect(isPolyarchError(error, "POLYARCH_E_LAYER_CORRUPT")).toBe(true);
    expect((error as Error).message).toMatch(/^layer 2 of 2 \(sha256:cut\): layer \(.*\+gzip/);
  });
});
