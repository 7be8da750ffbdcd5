// manifest-tool's flags as its users write them, against harness registries: a Basic-auth one and a
// TLS front with a self-signed certificate on loopback (integration/local-registry-tests-tls.bats).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  busyboxImage,
  fetchManifest,
  type Image,
  pushImage,
  type Registry,
  startRegistry,
  startTlsProxy,
  syntheticImage,
  type TempDir,
  type TlsProxy,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, polyarch } from "./support.ts";

let registry: Registry;
let tls: TlsProxy;
let reg: string;
let secure: string;
let work: TempDir;
let images: Image[];

const fromArgs = (host: string, tag: string) => [
  "from-args",
  "--platforms",
  "linux/amd64,linux/arm64",
  "--template",
  `${host}/flags/app-ARCH:1`,
  "--target",
  `${host}/flags/app:${tag}`,
];

beforeAll(async () => {
  registry = await startRegistry({ auth: "basic", username: "ci", password: "s3cret-pw" });
  reg = registry.host;
  tls = await startTlsProxy(registry.url);
  secure = `127.0.0.1:${tls.port}`;
  work = await tempDir("polyarch-mt-flags-");
  images = [
    await syntheticImage({ platform: amd64, seed: "flags" }),
    await syntheticImage({ platform: arm64, seed: "flags" }),
  ];
  await pushImage(registry, "flags/app-amd64", "1", images[0] as Image);
  await pushImage(registry, "flags/app-arm64", "1", images[1] as Image);
});
afterAll(async () => {
  await work?.remove();
  await tls?.stop();
  await registry?.stop();
});

const LOGIN = ["--username", "ci", "--password", "s3cret-pw"];

const pushed = async (tag: string) => (await fetchManifest(registry, "flags/app", tag)).status === 200;

describe("manifest-tool's flags", () => {
  it("--version prints polyarch's version, before or after the command", async () => {
    for (const args of [["--version"], ["push", "--version"], ["inspect", "--version"]]) {
      const run = await polyarch(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    }
  });

  it("takes Go-style single-dash long flags (-username -password … -target)", async () => {
    const run = await polyarch([
      "-username",
      "ci",
      "-password",
      "s3cret-pw",
      "push",
      ...fromArgs(reg, "go-style").map((arg) => (arg.startsWith("--") ? arg.slice(1) : arg)),
    ]);
    expect(run.code).toBe(0);
    expect(await pushed("go-style")).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toContain("s3cret-pw");
  });

  it("--docker-cfg takes a config.json file as well as its directory; a missing path is bad input", async () => {
    const file = join(work.path, "registry-auth.json");
    const auth = Buffer.from("ci:s3cret-pw").toString("base64");
    await writeFile(file, JSON.stringify({ auths: { [reg]: { auth } } }), { mode: 0o600 });
    const run = await polyarch(["--docker-cfg", file, "push", ...fromArgs(reg, "cfg-file")]);
    expect(run.code).toBe(0);
    expect(await pushed("cfg-file")).toBe(true);
    const missing = await polyarch([
      "--docker-cfg",
      join(work.path, "nope.json"),
      "push",
      ...fromArgs(reg, "x"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--docker-cfg");
    expect(missing.stderr).toContain("does not exist");
  });

  it("--debug is accepted (as --verbose, plus error causes) and still keeps the password out", async () => {
    const run = await polyarch([
      "--debug",
      "--username",
      "ci",
      "--password",
      "wrong",
      "push",
      ...fromArgs(reg, "debug"),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^polyarch: .*HTTP 401/m);
    expect(run.stderr).not.toContain("wrong");
  });

  it("--type takes docker and oci in any case; anything else is refused, saying what manifest-tool would write", async () => {
    const oci = await polyarch([...LOGIN, "push", "--type", "Oci", ...fromArgs(reg, "oci")]);
    expect(oci.stderr).toBe("");
    expect(oci.code).toBe(0);
    const bad = await polyarch([...LOGIN, "push", "--type", "v2s2", ...fromArgs(reg, "bad")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--type "v2s2" is not an index type');
    expect(bad.stderr).toContain("manifest-tool would have written a Docker manifest list");
    expect(await pushed("bad")).toBe(false);
  });

  it("a template without a placeholder is refused, saying what manifest-tool would do and that --same-image does it", async () => {
    const sameImage = (tag: string, ...extra: string[]) => [
      ...LOGIN,
      "push",
      "from-args",
      ...extra,
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${reg}/flags/app-amd64:1`,
      "--target",
      `${reg}/flags/app:${tag}`,
    ];
    const refused = await polyarch(sameImage("same"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("manifest-tool would have listed that one image under every platform");
    expect(refused.stderr).toContain("--same-image");
    // An image without binaries (these synthetic layers hold none) is listed under both, as manifest-tool lists it.
    const run = await polyarch(sameImage("same", "--same-image"));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("has no ELF binaries to tell which is right; merged as linux/arm64");
    const list = JSON.parse(
      Buffer.from((await fetchManifest(registry, "flags/app", "same")).bytes).toString(),
    );
    expect(
      list.manifests.map((m: { digest: string; platform: { architecture: string } }) => [
        m.digest,
        m.platform.architecture,
      ]),
    ).toEqual([
      [images[0]?.manifest.digest, "amd64"],
      [images[0]?.manifest.digest, "arm64"],
    ]);
    // An image with amd64 binaries is still not listed as arm64.
    await pushImage(registry, "flags/busybox", "1", await busyboxImage({ arch: "amd64" }));
    const binaries = await polyarch(
      sameImage("same-busybox", "--same-image").map((arg) =>
        arg.replace("flags/app-amd64:1", "flags/busybox:1"),
      ),
    );
    expect(binaries.code).toBe(1);
    expect(binaries.stderr).toContain("its binaries agree with the config");
    expect(await pushed("same-busybox")).toBe(false);
  });
});

describe("TLS registry on loopback with a self-signed certificate", () => {
  it("by default: HTTPS first, the certificate not verified (Docker's rule for loopback)", async () => {
    const run = await polyarch([...LOGIN, "push", ...fromArgs(secure, "tls-default")]);
    expect(run.code).toBe(0);
    expect(await pushed("tls-default")).toBe(true);
  });

  it("--insecure: HTTPS without verification, as manifest-tool means it (push and inspect)", async () => {
    const run = await polyarch([...LOGIN, "--insecure", "push", ...fromArgs(secure, "tls-insecure")]);
    expect(run.code).toBe(0);
    // integration/local-registry-tests-tls.bats: manifest-tool --insecure inspect HOST/alpine:amd64
    const inspected = await polyarch([
      "--insecure",
      "--username",
      "ci",
      "--password",
      "s3cret-pw",
      "inspect",
      `${secure}/flags/app:tls-insecure`,
    ]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("linux/arm64");
  });

  it("--plain-http and --insecure-registry speak HTTP, which the TLS port refuses", async () => {
    for (const flags of [["--plain-http"], ["--insecure-registry", secure]]) {
      const run = await polyarch([...LOGIN, ...flags, "push", ...fromArgs(secure, "tls-plain")]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`http://${secure}`);
    }
    expect(await pushed("tls-plain")).toBe(false);
  });

  it("--plain-http inspect against a plain registry (integration/local-registry-tests.bats)", async () => {
    const run = await polyarch(["--plain-http", ...LOGIN, "inspect", `${reg}/flags/app-amd64:1`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("linux/amd64");
  });
});

describe("inspect --expand-config", () => {
  it("with --raw prints the manifest with its config document inlined", async () => {
    const run = await polyarch([
      "--plain-http",
      "--username",
      "ci",
      "--password",
      "s3cret-pw",
      "inspect",
      "--raw",
      "--expand-config",
      `${reg}/flags/app-arm64:1`,
    ]);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed).toMatchObject({
      name: `${reg}/flags/app-arm64:1`,
      digest: images[1]?.manifest.digest,
      os: "linux",
      architecture: "arm64",
      config: { architecture: "arm64", os: "linux", rootfs: { type: "layers" } },
    });
    expect(printed.layers).toHaveLength(1);
  });

  it("without --raw is refused, as manifest-tool refuses it", async () => {
    const run = await polyarch([...LOGIN, "inspect", "--expand-config", `${reg}/flags/app-arm64:1`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--expand-config works only with --raw");
  });
});
