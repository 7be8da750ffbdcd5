import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { verifyBinaries } from "@polyarch/elf";
import {
  blobOf,
  imageFrom,
  type Registry,
  startRegistry,
  type TarEntry,
  tarGzLayer,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  busyboxLayer,
  FOREIGN_ARCH,
  HOST_ARCH,
  jobImage,
  pushJobImage,
  pushJobIndex,
  UNAME,
} from "./support/images.ts";
import { type RunnerHost, SYSTEM_FAILURE_EXIT_CODE, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

let registry: Registry;
let host: RunnerHost;
let emulating: RunnerHost;
let restricted: RunnerHost;

beforeAll(async () => {
  registry = await startRegistry();
  host = await startRunnerHost();
  emulating = await startRunnerHost({ emulation: true, network: "none", root: "copy" });
  restricted = await startRunnerHost({ allowed_registries: ["registry.example.com"] });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  for (const runner of [host, emulating, restricted]) await runner?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("the job's image, for this host", { timeout: JOB_TIMEOUT_MS }, () => {
  test("an index runs the child for the host's platform", async () => {
    const native = await jobImage({ arch: HOST_ARCH });
    const foreign = await jobImage({ arch: FOREIGN_ARCH });
    // The host's child second, so that taking the first child would fail.
    const reference = await pushJobIndex(registry, "multi", "1", [foreign, native]);
    const run = await host.runJob({ id: 301, image: reference, script: ["uname -m"] });
    expect(run.result).toBe("success");
    expect(run.log).toContain(native.manifest.digest);
    expect(run.log).not.toContain(foreign.manifest.digest);
    expect(run.log).toContain(`\n${UNAME[HOST_ARCH]}\n`);
  });

  test("an image whose config cannot be read is a system failure naming the field, not a job run as root", async () => {
    // Env must be an array of strings; the image's User must not be lost with it.
    const image = await jobImage({ runtime: { Env: "PATH=/bin", User: "builder" } });
    const reference = await pushJobImage(registry, "malformed-env", "1", image);
    const run = await host.runJob({ id: 309, image: reference, script: ['echo "ran as uid $(id -u)"'] });
    expect(run.result).toBe("system_failure");
    expect(run.stages.find((stage) => stage.stage === "prepare")?.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
    expect(run.log).toContain("does not follow the spec: config.Env: expected an array, got string");
    expect(run.log).not.toContain("ran as uid");
  });

  test("a single-arch image of the other architecture is a system failure naming both", async () => {
    const reference = await pushJobImage(
      registry,
      "foreign-only",
      "1",
      await jobImage({ arch: FOREIGN_ARCH }),
    );
    const run = await host.runJob({ id: 302, image: reference, script: ["uname -m"] });
    expect(run.result).toBe("system_failure");
    expect(run.stages.find((stage) => stage.stage === "prepare")?.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
    expect(run.log).toContain(`linux/${FOREIGN_ARCH}`);
    // The host is named with its level when it has one above the baseline (linux/amd64/v3).
    expect(run.log).toMatch(new RegExp(`linux/${HOST_ARCH}(/v[\\d.]+)? host`));
  });

  test("with emulation allowed, the other architecture's image runs under QEMU with a warning", async () => {
    const reference = await pushJobImage(
      registry,
      "foreign-only",
      "2",
      await jobImage({ arch: FOREIGN_ARCH }),
    );
    const run = await emulating.runJob({ id: 303, image: reference, script: ["uname -m"] });
    expect(run.result).toBe("success");
    expect(run.log).toMatch(
      new RegExp(
        `WARNING: .* is linux/${FOREIGN_ARCH}, not linux/${HOST_ARCH}(/v[\\d.]+)?: it runs under emulation`,
      ),
    );
    expect(run.log).toContain(`\n${UNAME[FOREIGN_ARCH]}\n`);
  });

  test("network: none leaves the job only loopback; the default gives it more", async () => {
    const reference = await pushJobImage(registry, "busybox", "net", await jobImage());
    const script = ['echo "interfaces=$(grep -c : /proc/net/dev) $(grep -o "^ *lo:" /proc/net/dev)"'];
    const isolated = await emulating.runJob({ id: 304, image: reference, script });
    expect(isolated.result).toBe("success");
    expect(isolated.log).toMatch(/interfaces=1 +lo:/);
    const shared = await host.runJob({ id: 305, image: reference, script });
    expect(shared.log).toMatch(/interfaces=([2-9]|\d\d+) /);
  });

  test("a copied root (root: copy) keeps the job's writes out of the cache", async () => {
    const reference = await pushJobImage(registry, "busybox", "copy", await jobImage());
    const run = await emulating.runJob({
      id: 306,
      image: reference,
      script: ["echo changed > /etc/passwd", "rm /bin/cat"],
    });
    expect(run.result).toBe("success");
    expect(run.log).toContain("root: copy");
    const again = await emulating.runJob({ id: 307, image: reference, script: ["cat /etc/passwd"] });
    expect(again.log).toContain("root:x:0:0:root");
  });

  test("an overlay root keeps the job's writes out of the cache", async () => {
    const reference = await pushJobImage(registry, "busybox", "overlay", await jobImage());
    const run = await host.runJob({
      id: 308,
      image: reference,
      script: ["echo changed > /etc/passwd", "rm /bin/cat"],
    });
    expect(run.result).toBe("success");
    expect(run.log).toContain("root: overlay");
    const again = await host.runJob({ id: 309, image: reference, script: ["cat /etc/passwd"] });
    expect(again.log).toContain("root:x:0:0:root");
  });

  test("an image from a registry the settings do not allow is a system failure", async () => {
    const reference = await pushJobImage(registry, "busybox", "denied", await jobImage());
    const run = await restricted.runJob({ id: 310, image: reference, script: ["true"] });
    expect(run.result).toBe("system_failure");
    expect(run.log).toContain(`is from ${registry.host}, which this runner does not pull from`);
  });
});

describe("hostile layers", { timeout: JOB_TIMEOUT_MS }, () => {
  const cases: Array<[string, TarEntry[]]> = [
    ["a ../ path", [{ path: "../../../escaped-dotdot", content: "x" }]],
    ["an absolute path", [{ path: "/tmp/escaped-absolute", content: "x" }]],
    [
      "a symlink climbing out, then a write through it",
      [
        { path: "evil", type: "symlink", linkname: "../../../../../../tmp" },
        { path: "evil/escaped-symlink", content: "x" },
      ],
    ],
    [
      "an absolute symlink, then a write through it",
      [
        { path: "evil", type: "symlink", linkname: "/tmp" },
        { path: "evil/escaped-absolute-symlink", content: "x" },
      ],
    ],
    [
      "a hard link to a host file",
      [{ path: "passwd", type: "link", linkname: "../../../../../../etc/passwd" }],
    ],
    ["a device node", [{ path: "dev-sda", type: "character-device" }]],
  ];

  test.each(cases)("with %s is refused, and nothing is written outside the cache", async (_, entries) => {
    const image = await jobImage({ extra: [entries] });
    const tag = `hostile-${image.layers[1]?.digest.slice(7, 19)}`;
    const reference = await pushJobImage(registry, "hostile", tag, image);
    const run = await host.runJob({ id: 311, image: reference, script: ["echo should not run"] });
    expect(run.result).toBe("system_failure");
    expect(run.log).toContain("is refused");
    expect(run.log).not.toContain("should not run");
    const layers = join(host.stateDir, "layers");
    expect(
      (await readdir(layers)).filter((name) => name.includes(image.layers[1]?.digest.slice(7) as string)),
    ).toEqual([]);
    expect((await readdir(layers)).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
    for (const dir of ["/tmp", host.dir, host.stateDir, "/"]) {
      expect((await readdir(dir)).filter((name) => name.startsWith("escaped-"))).toEqual([]);
    }
  });
});

describe("a layer whose media type lies about its compression", { timeout: JOB_TIMEOUT_MS }, () => {
  const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  const arch = HOST_ARCH;

  test("labelled gzip but stored as plain tar: the ELF check and the job both read it, with a note", async () => {
    // busybox in a layer stored as plain tar under the gzip media type, as some older tools push them.
    const honest = await busyboxLayer(arch);
    const plain = { blob: blobOf(GZIP, gunzipSync(honest.blob.bytes)), diffId: honest.diffId };
    const motd = await tarGzLayer([{ path: "etc/motd", content: "read from a plain layer\n" }]);
    const lying = { blob: blobOf(GZIP, gunzipSync(motd.blob.bytes)), diffId: motd.diffId };
    const image = imageFrom({ platform: { os: "linux", architecture: arch }, layers: [plain, lying] });
    const note = `the media type ${GZIP} says gzip-compressed tar, but the bytes are plain tar: read as plain tar`;

    const reference = await pushJobImage(registry, "mislabelled", "1", image);
    const run = await host.runJob({ id: 312, image: reference, script: ["cat /etc/motd"] });
    expect(run.result).toBe("success");
    expect(run.log).toContain("\nread from a plain layer\n");
    expect(run.log).toContain(`WARNING: layer 1/2 (${plain.blob.digest}) of ${reference}: ${note}`);
    expect(run.log).toContain(`WARNING: layer 2/2 (${lying.blob.digest}) of ${reference}: ${note}`);

    const verified = await verifyBinaries({
      layers: image.layers.map((blob) => ({
        mediaType: blob.mediaType,
        digest: blob.digest,
        open: async () => Readable.from([blob.bytes]),
      })),
      expected: { architecture: arch },
    });
    expect(verified).toMatchObject({ ok: true, mismatches: [] });
    expect(verified.checked).toBeGreaterThan(0);
    expect(verified.notes).toEqual([
      `layer 1 of 2 (${plain.blob.digest}): ${note}`,
      `layer 2 of 2 (${lying.blob.digest}): ${note}`,
    ]);
  });
});
