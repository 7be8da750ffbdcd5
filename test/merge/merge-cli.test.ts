import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type FaultProxy,
  fetchManifest,
  type Image,
  mediaTypes,
  type Registry,
  sha256Digest,
  skopeoInspectRaw,
  startFaultProxy,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amd64, arm64, json, polyarch, pushSynthetic, through, writes } from "./support.ts";

let registry: Registry;
let proxy: FaultProxy;
let host: string;
let work: TempDir;
let oci: Image[];
let docker: Image[];

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  host = proxy.host;
  work = await tempDir("polyarch-merge-cli-");
  const via = through(registry, proxy);
  oci = [
    await pushSynthetic(via, "cli/app", "1-amd64", { platform: amd64, seed: "cli" }),
    await pushSynthetic(via, "cli/app", "1-arm64", { platform: arm64, seed: "cli" }),
  ];
  docker = [
    await pushSynthetic(via, "cli/legacy", "1-amd64", { platform: amd64, seed: "cli", format: "docker" }),
    await pushSynthetic(via, "cli/legacy", "1-arm64", { platform: arm64, seed: "cli", format: "docker" }),
  ];
});
afterAll(async () => {
  await work?.remove();
  await proxy.stop();
  await registry.stop();
});

const fromTemplate = (target: string) => [
  "--platforms",
  "linux/amd64,linux/arm64",
  "--template",
  `${host}/cli/app:1-{arch}`,
  "--target",
  `${host}/cli/app:${target}`,
];

async function tagDigest(repo: string, tag: string): Promise<string | undefined> {
  const fetched = await fetchManifest(registry, repo, tag);
  return fetched.status === 200 ? sha256Digest(fetched.bytes) : undefined;
}

describe("polyarch merge output", () => {
  it("prints REPO@DIGEST on stdout and what happened on stderr", async () => {
    const run = await polyarch(["merge", ...fromTemplate("plain")]);
    expect(run.code).toBe(0);
    const digest = await tagDigest("cli/app", "plain");
    expect(run.stdout).toBe(`${host}/cli/app@${digest}\n`);
    expect(run.stderr).toBe(`created: ${host}/cli/app:plain (2 manifests)\n`);
  });

  it("--json prints the report: reference, digest, action, tags, entries and the index", async () => {
    const run = await polyarch(["merge", "--json", ...fromTemplate("json"), "--tags", "json-extra"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/app:json`);
    const digest = sha256Digest(raw);
    expect(report).toMatchObject({
      repository: `${host}/cli/app`,
      tag: "json",
      digest,
      reference: `${host}/cli/app@${digest}`,
      mediaType: mediaTypes.ociIndex,
      action: "created",
      tags: [{ tag: "json-extra", action: "created" }],
      manifests: [
        { source: `${host}/cli/app:1-amd64`, platform: "linux/amd64", digest: oci[0]?.manifest.digest },
        { source: `${host}/cli/app:1-arm64`, platform: "linux/arm64", digest: oci[1]?.manifest.digest },
      ],
      missing: [],
    });
    expect(report.index).toEqual(JSON.parse(raw.toString("utf8")));
  });

  it("--dry-run prints the index it would push and pushes nothing", async () => {
    const digestFile = join(work.path, "dry.digest");
    proxy.reset();
    const dry = await polyarch(["merge", "--dry-run", "--digest-file", digestFile, ...fromTemplate("dry")]);
    expect(dry.code).toBe(0);
    expect(writes(proxy)).toEqual([]);
    expect(proxy.counter.count({ route: "manifest", path: "/manifests/dry" })).toBe(0);
    expect(await tagDigest("cli/app", "dry")).toBeUndefined();
    expect(existsSync(digestFile)).toBe(false);
    const printed = JSON.parse(dry.stdout);
    expect(printed.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      oci.map((i) => i.manifest.digest),
    );

    // What the dry run printed is what a real run pushes, byte for byte once compacted.
    const real = await polyarch(["merge", ...fromTemplate("dry")]);
    expect(real.code).toBe(0);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/app:dry`);
    expect(raw.toString("utf8")).toBe(JSON.stringify(printed));

    const dryJson = await polyarch(["merge", "--dry-run", "--json", ...fromTemplate("dry-json")]);
    expect(JSON.parse(dryJson.stdout)).toMatchObject({ action: "planned", digest: sha256Digest(raw) });
    expect(await tagDigest("cli/app", "dry-json")).toBeUndefined();
  });

  it("--digest-file receives the pushed digest", async () => {
    const digestFile = join(work.path, "pushed.digest");
    const run = await polyarch(["merge", "--digest-file", digestFile, ...fromTemplate("digest-file")]);
    expect(run.code).toBe(0);
    const digest = await tagDigest("cli/app", "digest-file");
    expect(await readFile(digestFile, "utf8")).toBe(`${digest}\n`);
  });

  it("refuses an unwritable --digest-file before pushing anything", async () => {
    proxy.reset();
    const digestFile = join(work.path, "no-such-dir", "x.digest");
    const run = await polyarch(["merge", "--digest-file", digestFile, ...fromTemplate("unwritable")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--digest-file ${digestFile} cannot be written`);
    expect(writes(proxy)).toEqual([]);
    expect(await tagDigest("cli/app", "unwritable")).toBeUndefined();
  });

  it("--spec FILE reads target, tags, annotations and sources from manifest-tool YAML", async () => {
    const spec = join(work.path, "spec.yaml");
    await writeFile(
      spec,
      [
        `image: ${host}/cli/app:spec`,
        "tags: [spec-latest]",
        "annotations:",
        "  org.opencontainers.image.source: https://gitlab.example/app",
        "manifests:",
        `  - image: ${host}/cli/app:1-arm64`,
        "    platform: { os: linux, architecture: arm64 }",
        `  - image: ${host}/cli/app:1-amd64`,
        "    platform: { os: linux, architecture: amd64 }",
        "",
      ].join("\n"),
    );
    const run = await polyarch(["merge", "--spec", spec]);
    expect(run.code).toBe(0);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/app:spec`);
    const index = json(raw);
    expect(index.manifests.map((m) => m.digest)).toEqual([oci[1]?.manifest.digest, oci[0]?.manifest.digest]);
    expect(index.annotations).toEqual({ "org.opencontainers.image.source": "https://gitlab.example/app" });
    expect(await tagDigest("cli/app", "spec-latest")).toBe(sha256Digest(raw));
    expect(run.stdout).toBe(`${host}/cli/app@${sha256Digest(raw)}\n`);
  });
});

describe("polyarch push (manifest-tool drop-in)", () => {
  it("from-args takes manifest-tool's flags, global ones before `push`, and prints `Digest: DIGEST LENGTH`", async () => {
    const run = await polyarch([
      "--username",
      "ci",
      "--password",
      "not-needed-anonymous",
      "--plain-http",
      "push",
      "from-args",
      "--platforms",
      "linux/amd64",
      "--platforms",
      "linux/arm64",
      "--template",
      `${host}/cli/legacy:1-ARCH`,
      "--target",
      `${host}/cli/legacy:mt`,
      "--tags",
      "mt-a,mt-b",
    ]);
    expect(run.stderr).not.toContain("not-needed-anonymous");
    expect(run.code).toBe(0);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/legacy:mt`);
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
    const index = json(raw);
    // manifest-tool's default type: a Docker manifest list for Docker children.
    expect(index.mediaType).toBe(mediaTypes.dockerList);
    expect(index.manifests.map((m) => m.digest)).toEqual(docker.map((i) => i.manifest.digest));
    expect(await tagDigest("cli/legacy", "mt-a")).toBe(sha256Digest(raw));
    expect(await tagDigest("cli/legacy", "mt-b")).toBe(sha256Digest(raw));
  });

  it("from-args honours a global --type oci written before `push`", async () => {
    const run = await polyarch([
      "--type",
      "oci",
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${host}/cli/legacy:1-ARCH`,
      "--target",
      `${host}/cli/legacy:mt-oci`,
    ]);
    expect(run.code).toBe(0);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/legacy:mt-oci`);
    expect(json(raw).mediaType).toBe(mediaTypes.ociIndex);
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
  });

  it("from-spec FILE merges what the spec names, skipping a missing image with --ignore-missing", async () => {
    const spec = join(work.path, "mt-spec.yaml");
    await writeFile(
      spec,
      [
        `image: ${host}/cli/legacy:mt-spec`,
        "manifests:",
        `  - image: ${host}/cli/legacy:1-amd64`,
        "    platform: { os: linux, architecture: amd64 }",
        `  - image: ${host}/cli/legacy:1-s390x`,
        "    platform: { os: linux, architecture: s390x }",
        `  - image: ${host}/cli/legacy:1-arm64`,
        "    platform: { os: linux, architecture: arm64 }",
        "",
      ].join("\n"),
    );
    const failing = await polyarch(["push", "from-spec", spec]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`${host}/cli/legacy:1-s390x`);
    const run = await polyarch(["push", "from-spec", "--ignore-missing", spec]);
    expect(run.code).toBe(0);
    const raw = await skopeoInspectRaw(`${registry.host}/cli/legacy:mt-spec`);
    expect(run.stdout).toBe(`Digest: ${sha256Digest(raw)} ${raw.length}\n`);
    expect(json(raw).manifests.map((m) => m.digest)).toEqual(docker.map((i) => i.manifest.digest));
  });
});

describe("bad input: exit 2, a message naming the bad value, no request sent", () => {
  const target = () => `${host}/cli/app:bad`;
  const cases: Array<[string, () => string[], RegExp]> = [
    [
      "duplicate platforms",
      () => [
        "merge",
        "--platforms",
        "linux/amd64,linux/arm64,linux/amd64",
        "--template",
        `${host}/cli/app:1-{arch}`,
        "--target",
        target(),
      ],
      /linux\/amd64/,
    ],
    [
      "duplicate platforms once normalized",
      () => [
        "merge",
        "--target",
        target(),
        `${host}/cli/app:1-arm64=linux/arm64`,
        `${host}/cli/app:x=linux/aarch64`,
      ],
      /linux\/arm64/,
    ],
    [
      "an empty platform list",
      () => ["merge", "--platforms", "", "--template", `${host}/cli/app:1-{arch}`, "--target", target()],
      /platform list is empty/,
    ],
    [
      "a template without placeholder",
      () => [
        "merge",
        "--platforms",
        "linux/amd64,linux/arm64",
        "--template",
        `${host}/cli/app:1`,
        "--target",
        target(),
      ],
      /no placeholder/,
    ],
    [
      "a malformed target",
      () => ["merge", "--target", `${host}/cli/App:x`, `${host}/cli/app:1-amd64`],
      /cli\/App:x/,
    ],
    [
      "a target that is a digest",
      () => ["merge", "--target", `${host}/cli/app@sha256:${"0".repeat(64)}`, `${host}/cli/app:1-amd64`],
      /must be a tag/,
    ],
    [
      "a malformed source",
      () => ["merge", "--target", target(), `${host}/cli/app:1:amd64`],
      /cli\/app:1:amd64/,
    ],
    [
      "a malformed platform",
      () => ["merge", "--target", target(), `${host}/cli/app:1-amd64=amd64`],
      /"amd64" is not a platform/,
    ],
    [
      "--template without --platforms",
      () => ["merge", "--template", `${host}/cli/app:1-{arch}`, "--target", target()],
      /--platforms/,
    ],
    [
      "two ways of naming sources",
      () => [
        "merge",
        "--platforms",
        "linux/amd64",
        "--template",
        `${host}/cli/app:1-{arch}`,
        "--target",
        target(),
        `${host}/cli/app:1-amd64`,
      ],
      /one way/,
    ],
    ["no sources", () => ["merge", "--target", target()], /no source images/],
    ["no target", () => ["merge", `${host}/cli/app:1-amd64`], /no target/],
    [
      "a bad extra tag",
      () => ["merge", "--target", target(), "--tags", "ok,-bad", `${host}/cli/app:1-amd64`],
      /"-bad"/,
    ],
    [
      "an unknown --type",
      () => ["merge", "--type", "oci-ish", "--target", target(), `${host}/cli/app:1-amd64`],
      /oci-ish/,
    ],
    [
      "a malformed annotation",
      () => ["merge", "--annotation", "novalue", "--target", target(), `${host}/cli/app:1-amd64`],
      /novalue/,
    ],
    [
      "push from-args without --template",
      () => ["push", "from-args", "--platforms", "linux/amd64", "--target", target()],
      /--template/,
    ],
  ];

  for (const [name, args, message] of cases) {
    it(name, async () => {
      proxy.reset();
      const run = await polyarch(args());
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(proxy.counter.requests).toEqual([]);
    });
  }

  it("a spec file with an unknown key, naming it and the closest valid key", async () => {
    const spec = join(work.path, "typo.yaml");
    await writeFile(
      spec,
      [
        `image: ${target()}`,
        "manifest:",
        `  - image: ${host}/cli/app:1-amd64`,
        "    platform: { os: linux, arch: amd64 }",
        "",
      ].join("\n"),
    );
    proxy.reset();
    for (const args of [
      ["merge", "--spec", spec],
      ["push", "from-spec", spec],
    ]) {
      const run = await polyarch(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(spec);
      expect(run.stderr).toContain('manifest: unknown key; did you mean "manifests"?');
      expect(proxy.counter.requests).toEqual([]);
    }
  });

  it("a spec file that does not exist", async () => {
    const run = await polyarch(["merge", "--spec", join(work.path, "absent.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("absent.yaml");
  });
});
