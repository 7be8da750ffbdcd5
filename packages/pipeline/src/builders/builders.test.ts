import { isPolyarchError } from "@polyarch/errors";
import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { buildah } from "./buildah.ts";
import { buildkit } from "./buildkit.ts";
import { kaniko } from "./kaniko.ts";
import { chooseBuilder } from "./registry.ts";
import type { BuilderInput } from "./types.ts";

// Kaniko and BuildKit cannot run on this machine (Kaniko needs to own the root filesystem of its
// container; rootless BuildKit needs its daemon image): their command lines are tested as data here, their
// digest and metadata files are parsed from files shaped like theirs, and the layouts they leave are stood
// in for in test/pipeline/build-layout.test.ts.
const input: BuilderInput = {
  context: "/builds/team/app",
  dockerfile: "/builds/team/app/docker/Dockerfile.prod",
  destination: "registry.example.com/team/app:arm64-1a2b3c-42",
  platform: "linux/arm64",
  buildArgs: [["VERSION", "1.4"]],
  labels: [["org.opencontainers.image.revision", "1a2b3c"]],
  target: "runtime",
  plainHttp: [],
  passThrough: ["--cache-ttl=6h"],
  overlayUsable: true,
  authDir: "/tmp/polyarch-auth-x",
  output: { kind: "push", digestFile: "/tmp/polyarch-auth-x/digest" },
};

describe("builder command lines", () => {
  it("runs buildah bud with chroot isolation and the auth file, then buildah push --digestfile", () => {
    expect(buildah.commands({ ...input, overlayUsable: false })).toEqual([
      {
        name: "buildah bud",
        program: "buildah",
        args: [
          "--storage-driver",
          "vfs",
          "bud",
          "--isolation",
          "chroot",
          "--platform",
          "linux/arm64",
          "--file",
          "/builds/team/app/docker/Dockerfile.prod",
          "--tag",
          "registry.example.com/team/app:arm64-1a2b3c-42",
          "--authfile",
          "/tmp/polyarch-auth-x/config.json",
          "--build-arg",
          "VERSION=1.4",
          "--label",
          "org.opencontainers.image.revision=1a2b3c",
          "--target",
          "runtime",
          "--cache-ttl=6h",
          "/builds/team/app",
        ],
        env: {},
      },
      {
        name: "buildah push",
        program: "buildah",
        args: [
          "--storage-driver",
          "vfs",
          "push",
          "--authfile",
          "/tmp/polyarch-auth-x/config.json",
          "--digestfile",
          "/tmp/polyarch-auth-x/digest",
          "registry.example.com/team/app:arm64-1a2b3c-42",
          "docker://registry.example.com/team/app:arm64-1a2b3c-42",
        ],
        env: {},
      },
    ]);
  });

  it("gives Buildah vfs storage only where overlay cannot be used", () => {
    for (const invocation of buildah.commands(input)) {
      expect(invocation.args).not.toContain("--storage-driver");
    }
    for (const invocation of buildah.commands({ ...input, overlayUsable: false })) {
      expect(invocation.args.slice(0, 2)).toEqual(["--storage-driver", "vfs"]);
    }
    for (const builder of [kaniko, buildkit]) {
      expect(builder.commands({ ...input, overlayUsable: false })).toEqual(builder.commands(input));
    }
  });

  it("turns Buildah's TLS verification off only for a plain-HTTP registry", () => {
    const [bud, push] = buildah.commands({ ...input, plainHttp: ["127.0.0.1:5000"] });
    expect(bud?.args).toContain("--tls-verify=false");
    expect(push?.args).toContain("--tls-verify=false");
    expect(buildah.commands(input)[0]?.args).not.toContain("--tls-verify=false");
  });

  it("runs /kaniko/executor with DOCKER_CONFIG pointing at the auth directory", () => {
    expect(kaniko.commands({ ...input, plainHttp: ["127.0.0.1:5000"] })).toEqual([
      {
        name: "kaniko executor",
        program: "/kaniko/executor",
        args: [
          "--context",
          "dir:///builds/team/app",
          "--dockerfile",
          "/builds/team/app/docker/Dockerfile.prod",
          "--destination",
          "registry.example.com/team/app:arm64-1a2b3c-42",
          "--digest-file",
          "/tmp/polyarch-auth-x/digest",
          "--insecure-registry",
          "127.0.0.1:5000",
          "--skip-tls-verify-registry",
          "127.0.0.1:5000",
          "--build-arg",
          "VERSION=1.4",
          "--label",
          "org.opencontainers.image.revision=1a2b3c",
          "--target",
          "runtime",
          "--cache-ttl=6h",
        ],
        env: { DOCKER_CONFIG: "/tmp/polyarch-auth-x" },
      },
    ]);
  });

  it("runs buildctl-daemonless.sh with the dockerfile frontend, a pushing image output and --metadata-file", () => {
    const metadata = { kind: "push", digestFile: "/tmp/polyarch-auth-x/metadata.json" } as const;
    expect(buildkit.commands({ ...input, output: metadata })).toEqual([
      {
        name: "buildctl build",
        program: "buildctl-daemonless.sh",
        args: [
          "build",
          "--frontend",
          "dockerfile.v0",
          "--local",
          "context=/builds/team/app",
          "--local",
          "dockerfile=/builds/team/app/docker",
          "--opt",
          "filename=Dockerfile.prod",
          "--opt",
          "platform=linux/arm64",
          "--opt",
          "build-arg:VERSION=1.4",
          "--opt",
          "label:org.opencontainers.image.revision=1a2b3c",
          "--opt",
          "target=runtime",
          "--output",
          "type=image,name=registry.example.com/team/app:arm64-1a2b3c-42,push=true",
          "--metadata-file",
          "/tmp/polyarch-auth-x/metadata.json",
          "--cache-ttl=6h",
        ],
        env: { DOCKER_CONFIG: "/tmp/polyarch-auth-x" },
      },
    ]);
    const [insecure] = buildkit.commands({ ...input, plainHttp: ["127.0.0.1:5000"] });
    expect(insecure?.args).toContain(
      "type=image,name=registry.example.com/team/app:arm64-1a2b3c-42,push=true,registry.insecure=true",
    );
  });
});

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("reading what the builder pushed", () => {
  it("reads Buildah's and Kaniko's digest files, with or without a newline", () => {
    expect(buildah.readDigest(DIGEST)).toBe(DIGEST);
    expect(kaniko.readDigest(`${DIGEST}\n`)).toBe(DIGEST);
  });

  it("reads containerimage.digest from buildctl's metadata file", () => {
    const metadata = {
      "buildx.build.ref": "builder/builder0/xyz",
      "containerimage.config.digest": `sha256:${"cd".repeat(32)}`,
      "containerimage.descriptor": {
        mediaType: "application/vnd.oci.image.index.v1+json",
        digest: DIGEST,
        size: 856,
      },
      "containerimage.digest": DIGEST,
      "image.name": "registry.example.com/team/app:arm64-1a2b3c-42",
    };
    expect(buildkit.readDigest(JSON.stringify(metadata, null, 2))).toBe(DIGEST);
  });

  it.each([
    [buildah, ""],
    [kaniko, "sha256:short"],
    [buildkit, "{}"],
    [buildkit, "not json"],
  ])("refuses a %s output file without a digest (%j)", (builder, text) => {
    const error = thrown(() => builder.readDigest(text));
    expect(isPolyarchError(error, "POLYARCH_E_BUILDER_OUTPUT")).toBe(true);
  });
});

describe("builder command lines for --push-with polyarch (a local layout)", () => {
  const layout = { ...input, output: { kind: "layout", dir: "/tmp/polyarch-auth-x/image" } as const };

  it("has Buildah push into the layout, locally", () => {
    expect(buildah.commands(layout)[1]?.args).toEqual([
      "push",
      "--quiet",
      "--authfile",
      "/tmp/polyarch-auth-x/config.json",
      "registry.example.com/team/app:arm64-1a2b3c-42",
      "oci:/tmp/polyarch-auth-x/image",
    ]);
  });

  it("has Kaniko skip its push and write the layout", () => {
    const args = kaniko.commands(layout)[0]?.args ?? [];
    expect(args.slice(args.indexOf("--no-push"), args.indexOf("--no-push") + 3)).toEqual([
      "--no-push",
      "--oci-layout-path",
      "/tmp/polyarch-auth-x/image",
    ]);
    expect(args).not.toContain("--digest-file");
    expect(args).toContain("--destination");
  });

  it("has BuildKit's OCI exporter write the layout as a directory", () => {
    const args = buildkit.commands(layout)[0]?.args ?? [];
    expect(args).toContain(
      "type=oci,name=registry.example.com/team/app:arm64-1a2b3c-42,dest=/tmp/polyarch-auth-x/image,tar=false",
    );
    expect(args).not.toContain("--metadata-file");
  });
});

describe("a reproducible build (a source date epoch)", () => {
  const pinned = { ...input, sourceDateEpoch: 1_700_000_000 };

  it("is --timestamp for Buildah's bud, before the arguments after --", () => {
    const args = buildah.commands(pinned)[0]?.args ?? [];
    expect(args.slice(args.indexOf("--timestamp"), args.indexOf("--timestamp") + 2)).toEqual([
      "--timestamp",
      "1700000000",
    ]);
    expect(args.indexOf("--timestamp")).toBeLessThan(args.indexOf("--cache-ttl=6h"));
  });

  it("is --reproducible for Kaniko", () => {
    expect(kaniko.commands(pinned)[0]?.args).toContain("--reproducible");
    expect(kaniko.commands(input)[0]?.args).not.toContain("--reproducible");
  });

  it("is the SOURCE_DATE_EPOCH build argument and rewrite-timestamp for BuildKit", () => {
    const args = buildkit.commands(pinned)[0]?.args ?? [];
    expect(args).toContain("build-arg:SOURCE_DATE_EPOCH=1700000000");
    expect(args).toContain(
      "type=image,name=registry.example.com/team/app:arm64-1a2b3c-42,push=true,rewrite-timestamp=true",
    );
  });
});

describe("a layer cache (--cache-repo), this platform's own repository", () => {
  const cached = { ...input, cacheRepository: "registry.example.com/team/app/cache/linux-arm64" };
  const repo = "registry.example.com/team/app/cache/linux-arm64";

  it("is --layers with --cache-from and --cache-to for Buildah's bud", () => {
    const args = buildah.commands(cached)[0]?.args ?? [];
    expect(args).toContain("--layers");
    expect(args.slice(args.indexOf("--cache-from"), args.indexOf("--cache-from") + 4)).toEqual([
      "--cache-from",
      repo,
      "--cache-to",
      repo,
    ]);
    expect(buildah.commands(input)[0]?.args).not.toContain("--layers");
  });

  it("is --cache=true with --cache-repo for Kaniko", () => {
    const args = kaniko.commands(cached)[0]?.args ?? [];
    expect(args).toContain("--cache=true");
    expect(args[args.indexOf("--cache-repo") + 1]).toBe(repo);
    expect(kaniko.commands(input)[0]?.args).not.toContain("--cache-repo");
  });

  it("is the registry cache, imported and exported with every step (mode=max), for BuildKit", () => {
    const args = buildkit.commands({ ...cached, plainHttp: ["registry.example.com"] })[0]?.args ?? [];
    expect(args[args.indexOf("--import-cache") + 1]).toBe(
      `type=registry,ref=${repo}:buildcache,registry.insecure=true`,
    );
    expect(args[args.indexOf("--export-cache") + 1]).toBe(
      `type=registry,ref=${repo}:buildcache,mode=max,registry.insecure=true`,
    );
    expect(buildkit.commands(input)[0]?.args).not.toContain("--import-cache");
  });
});

describe("each builder's quirks", () => {
  it("puts Kaniko's private directory under /kaniko, which Kaniko keeps between stages; the others use the OS default", () => {
    expect(kaniko.privateDirParent).toBe("/kaniko");
    expect(buildah.privateDirParent).toBeUndefined();
    expect(buildkit.privateDirParent).toBeUndefined();
  });

  it("names the file each push writes what it pushed to: BuildKit's metadata file, the others' digest file", () => {
    expect(buildkit.digestFileName).toBe("metadata.json");
    expect(buildah.digestFileName).toBe("digest");
    expect(kaniko.digestFileName).toBe("digest");
  });

  it("warns that Kaniko pins timestamps to 0 whatever the source date epoch; the others pin it", () => {
    expect(kaniko.warnings({ ...input, sourceDateEpoch: 1_700_000_000 })).toEqual([
      "Kaniko's --reproducible pins every timestamp to 1970-01-01, not to the source date epoch 1700000000",
    ]);
    expect(kaniko.warnings({ ...input, sourceDateEpoch: 0 })).toEqual([]);
    expect(kaniko.warnings(input)).toEqual([]);
    for (const builder of [buildah, buildkit]) {
      expect(builder.warnings({ ...input, sourceDateEpoch: 1_700_000_000 })).toEqual([]);
    }
  });
});

describe("chooseBuilder", () => {
  it("picks Kaniko, then Buildah, then BuildKit, among those present", () => {
    expect(chooseBuilder(undefined, ["buildkit", "buildah", "kaniko"]).name).toBe("kaniko");
    expect(chooseBuilder(undefined, ["buildkit", "buildah"]).name).toBe("buildah");
    expect(chooseBuilder(undefined, ["buildkit"]).name).toBe("buildkit");
    expect(chooseBuilder("buildkit", ["buildah", "buildkit"]).name).toBe("buildkit");
  });

  it("names all three builders and how to install each when none is here", () => {
    const error = thrown(() => chooseBuilder(undefined, []));
    expect(isPolyarchError(error, "POLYARCH_E_NO_BUILDER")).toBe(true);
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain(
      "polyarch runs one of Kaniko (/kaniko/executor), Buildah (buildah), BuildKit (buildctl-daemonless.sh)",
    );
    expect(hint).toContain("kaniko: run the job in the gcr.io/kaniko-project/executor");
    expect(hint).toContain("buildah: apt-get install buildah");
    expect(hint).toContain("buildkit: run the job in the moby/buildkit:rootless image");
  });

  it("refuses an unknown builder and one that is not here, both as input errors", () => {
    for (const [named, code] of [
      ["docker", "POLYARCH_E_BAD_FLAG"],
      ["kaniko", "POLYARCH_E_NO_BUILDER"],
    ] as const) {
      const error = thrown(() => chooseBuilder(named, ["buildah"]));
      expect(isPolyarchError(error, code)).toBe(true);
      expect((error as { kind: string }).kind).toBe("input");
    }
  });
});
