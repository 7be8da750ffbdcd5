import { setImmediate as nextTurn } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { isPolyarchError } from "@polyarch/errors";
import { beforeAll, describe, expect, it } from "vitest";
import { normalizeLayerPath } from "./layer-entries.ts";
import { type ElfBinary, scanLayer } from "./scan.ts";
import {
  collect,
  elfHeaderBytes,
  generatedLayer,
  layerBytes,
  MEDIA_TYPES,
  nodeStream,
  readBusybox,
  type TarFixtureEntry,
  tarBytes,
  webStream,
} from "./testing/layers.ts";

const MiB = 1024 * 1024;

let amd64: Uint8Array;
let arm64: Uint8Array;
let mixed: TarFixtureEntry[];
beforeAll(async () => {
  amd64 = await readBusybox("amd64");
  arm64 = await readBusybox("arm64");
  mixed = [
    { path: "./", type: "directory" },
    { path: "./usr/bin/busybox", data: amd64 },
    { path: "./usr/bin/sh", type: "symlink", linkname: "busybox" },
    { path: "./opt/arm/busybox", data: arm64 },
    { path: "./etc/motd", data: "not a binary\n" },
    { path: "./usr/bin/script", data: "#!/bin/sh\nexec busybox true\n" },
    {
      path: "./usr/lib/crt1.o",
      data: elfHeaderBytes({ class: 64, endianness: "little", machine: 62, type: 1 }),
    },
    { path: "./dev/fifo", type: "fifo" },
  ];
});

const summary = (binaries: ElfBinary[]) =>
  binaries.map(({ path, name, platform, size }) => ({
    path,
    name,
    architecture: platform.architecture,
    size,
  }));

describe("scanLayer", () => {
  it.each([
    ["tar", "none", MEDIA_TYPES.tar],
    ["OCI tar+gzip", "gzip", MEDIA_TYPES.gzip],
    ["Docker tar.gzip", "gzip", MEDIA_TYPES.dockerGzip],
    ["OCI tar+zstd", "zstd", MEDIA_TYPES.zstd],
  ] as const)(
    "finds the real binaries in a %s layer and ignores everything else",
    async (_, compression, mediaType) => {
      const bytes = await layerBytes(mixed, compression);
      const expected = [
        { path: "/usr/bin/busybox", name: "x86-64", architecture: "amd64", size: amd64.length },
        { path: "/opt/arm/busybox", name: "AArch64", architecture: "arm64", size: arm64.length },
      ];
      expect(summary(await collect(scanLayer(webStream(bytes), { mediaType })))).toEqual(expected);
      expect(summary(await collect(scanLayer(nodeStream(bytes), { mediaType })))).toEqual(expected);
    },
  );

  it("trusts the bytes over the media type: gzip labelled as plain tar, and the other way round", async () => {
    const tar = await tarBytes([{ path: "bin/busybox", data: arm64 }]);
    const fromGzip = await collect(scanLayer(webStream(gzipSync(tar)), { mediaType: MEDIA_TYPES.tar }));
    const fromTar = await collect(scanLayer(webStream(tar), { mediaType: MEDIA_TYPES.gzip }));
    expect(fromGzip.map((binary) => binary.name)).toEqual(["AArch64"]);
    expect(fromTar.map((binary) => binary.name)).toEqual(["AArch64"]);
  });

  it("reports a hardlink to an ELF file under the link's path, and does not follow symlinks", async () => {
    const bytes = await tarBytes([
      { path: "bin/busybox", data: arm64 },
      { path: "bin/ls", type: "link", linkname: "bin/busybox" },
      { path: "bin/sh", type: "symlink", linkname: "/bin/busybox" },
    ]);
    const found = await collect(
      scanLayer(webStream(bytes), { mediaType: MEDIA_TYPES.tar, paths: ["/bin/ls", "/bin/sh"] }),
    );
    expect(summary(found)).toEqual([
      { path: "/bin/ls", name: "AArch64", architecture: "arm64", size: arm64.length },
    ]);
  });

  it("does not report whiteout markers as files", async () => {
    const bytes = await tarBytes([
      { path: "usr/bin/.wh.busybox", data: "" },
      { path: "usr/.wh..wh..opq", data: "" },
      { path: "bin/busybox", data: amd64 },
    ]);
    expect(summary(await collect(scanLayer(webStream(bytes), { mediaType: MEDIA_TYPES.tar })))).toEqual([
      { path: "/bin/busybox", name: "x86-64", architecture: "amd64", size: amd64.length },
    ]);
  });

  it("selects `paths`, however they are spelled", async () => {
    const bytes = await layerBytes(mixed, "gzip");
    const found = await collect(
      scanLayer(webStream(bytes), { mediaType: MEDIA_TYPES.gzip, paths: ["opt/arm/busybox", "./etc/motd"] }),
    );
    expect(found.map((binary) => binary.path)).toEqual(["/opt/arm/busybox"]);
  });

  it("stops reading once every path was seen, and cancels a web stream", async () => {
    const layer = generatedLayer({
      before: await tarBytes([{ path: "usr/bin/gitlab-runner-helper", data: arm64 }], { end: false }),
      path: "var/cache/endless",
      size: 4 * 1024 * MiB,
    });
    const found = await collect(
      scanLayer(layer.web(), { mediaType: MEDIA_TYPES.tar, paths: ["/usr/bin/gitlab-runner-helper"] }),
    );
    expect(found.map((binary) => binary.name)).toEqual(["AArch64"]);
    expect(layer.cancelled).toBe(true);
    expect(layer.pulled).toBeLessThan(16 * MiB);
  });

  it("stops at `limit`, and destroys a Node stream", async () => {
    const layer = generatedLayer({
      before: await tarBytes([{ path: "bin/busybox", data: amd64 }], { end: false }),
      path: "var/cache/endless",
      size: 4 * 1024 * MiB,
    });
    const found = await collect(scanLayer(layer.node(), { mediaType: MEDIA_TYPES.tar, limit: 1 }));
    expect(found.map((binary) => binary.path)).toEqual(["/bin/busybox"]);
    expect(layer.cancelled).toBe(true);
  });

  it("cancels the stream when the caller stops iterating, even mid-gzip", async () => {
    const layer = generatedLayer({
      before: await tarBytes([{ path: "bin/busybox", data: amd64 }], { end: false }),
      path: "var/cache/endless",
      size: 4 * 1024 * MiB,
    });
    for await (const binary of scanLayer(layer.web({ gzip: true }), { mediaType: MEDIA_TYPES.gzip })) {
      expect(binary.path).toBe("/bin/busybox");
      break;
    }
    expect(layer.cancelled).toBe(true);
  });

  it.each([
    ["tar", false, MEDIA_TYPES.tar],
    ["tar+gzip", true, MEDIA_TYPES.gzip],
  ] as const)("streams a %s layer with a 64 MiB file without buffering it", async (_, gzip, mediaType) => {
    const layer = generatedLayer({
      before: await tarBytes([{ path: "bin/busybox", data: amd64 }], { end: false }),
      path: "var/lib/big.bin",
      size: 64 * MiB,
      after: await tarBytes([{ path: "opt/arm/busybox", data: arm64 }]),
    });
    const found: ElfBinary[] = [];
    for await (const binary of scanLayer(layer.web({ gzip }), { mediaType })) {
      found.push(binary);
      if (found.length === 1) {
        // The first binary arrived while the 64 MiB file is still ahead: the scanner pulls as it goes.
        expect(layer.pulled).toBeLessThan(8 * MiB);
      }
    }
    expect(summary(found)).toEqual([
      { path: "/bin/busybox", name: "x86-64", architecture: "amd64", size: amd64.length },
      { path: "/opt/arm/busybox", name: "AArch64", architecture: "arm64", size: arm64.length },
    ]);
    expect(layer.pulled).toBeGreaterThan(64 * MiB);
  });

  it("holds the stream back while its consumer is idle instead of buffering ahead", async () => {
    const layer = generatedLayer({
      before: await tarBytes([{ path: "bin/busybox", data: amd64 }], { end: false }),
      path: "var/lib/big.bin",
      size: 64 * MiB,
    });
    const binaries = scanLayer(layer.web(), { mediaType: MEDIA_TYPES.tar });
    expect((await binaries.next()).value).toMatchObject({ path: "/bin/busybox" });
    // Plain tar runs on microtasks and ticks only (no I/O, no zlib thread): a turn of the event loop in
    // which the source was not pulled means the scanner has done all it can without its consumer.
    for (let before = -1; before !== layer.pulled; before = layer.pulled) await nextTurn();
    expect(layer.pulled).toBeGreaterThan(amd64.length);
    expect(layer.pulled).toBeLessThan(8 * MiB);
    await binaries.return(undefined);
    expect(layer.cancelled).toBe(true);
  });
});

describe("scanLayer on broken layers", () => {
  const expectCorrupt = async (stream: ReadableStream<Uint8Array>, mediaType: string) => {
    const error: unknown = await collect(scanLayer(stream, { mediaType })).catch((caught: unknown) => caught);
    expect(isPolyarchError(error, "POLYARCH_E_LAYER_CORRUPT"), String(error)).toBe(true);
    return error as Error & { hint: string };
  };

  it("fails a truncated tar with POLYARCH_E_LAYER_CORRUPT, naming the media type", async () => {
    const bytes = await tarBytes([{ path: "bin/busybox", data: amd64 }]);
    const error = await expectCorrupt(webStream(bytes.subarray(0, 100_000)), MEDIA_TYPES.tar);
    expect(error.message).toContain(MEDIA_TYPES.tar);
    expect(error.message).toContain("corrupt or truncated");
    expect(error.hint).toContain("digest");
  });

  it("fails a truncated gzip layer", async () => {
    const bytes = await layerBytes([{ path: "bin/busybox", data: amd64 }], "gzip");
    const error = await expectCorrupt(webStream(bytes.subarray(0, bytes.length / 2)), MEDIA_TYPES.gzip);
    expect(error.message).toContain("gzip-compressed tar");
  });

  it("fails a tar header whose checksum does not match", async () => {
    const bytes = await tarBytes([{ path: "bin/busybox", data: amd64 }]);
    bytes[0] = "X".charCodeAt(0);
    await expectCorrupt(webStream(bytes), MEDIA_TYPES.tar);
  });

  it("fails bytes that are no archive at all", async () => {
    await expectCorrupt(
      webStream(new TextEncoder().encode("<html>502 Bad Gateway</html>".repeat(40))),
      MEDIA_TYPES.gzip,
    );
  });

  it("rethrows the stream's own error unchanged: a network failure is not a corrupt layer", async () => {
    const bytes = await tarBytes([{ path: "bin/busybox", data: amd64 }]);
    const reset = new Error("socket hang up");
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(reset);
        else controller.enqueue(bytes.subarray(0, 4096));
        sent = true;
      },
    });
    await expect(collect(scanLayer(stream, { mediaType: MEDIA_TYPES.tar }))).rejects.toBe(reset);
  });

  it("refuses media types it cannot read, and cancels the stream", async () => {
    const layer = generatedLayer({ before: new Uint8Array(), path: "blob", size: 1024 * MiB });
    const error: unknown = await collect(
      scanLayer(layer.web(), { mediaType: `${MEDIA_TYPES.gzip}+encrypted` }),
    ).catch((caught: unknown) => caught);
    expect(isPolyarchError(error, "POLYARCH_E_LAYER_UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toContain("+encrypted");
    expect(layer.cancelled).toBe(true);
  });
});

describe("normalizeLayerPath", () => {
  it.each([
    ["./usr/bin/x", "/usr/bin/x"],
    ["usr/bin/x", "/usr/bin/x"],
    ["/usr/bin/x", "/usr/bin/x"],
    ["usr/bin/", "/usr/bin"],
    ["./", "/"],
    ["usr/../../../etc/passwd", "/etc/passwd"],
  ])("%s → %s", (name, expected) => {
    expect(normalizeLayerPath(name)).toBe(expected);
  });
});
