import { readDigestFile } from "./output-file.ts";
import type { Builder, BuilderInput } from "./types.ts";

/**
 * Buildah (https://github.com/containers/buildah/blob/main/docs/buildah-build.1.md): `buildah bud` with
 * chroot isolation (no runc, no privileges beyond a user namespace), then `buildah push`: to the registry
 * with `--digestfile` (its blob reuse skips layers the registry has), or into the layout directory, where
 * it compresses every layer anew. A source date epoch is `--timestamp`, which pins the image's dates and
 * its files' times. Buildah has no per-registry TLS switch on the command line, so a plain-HTTP
 * destination or base registry turns TLS verification off for the build's pulls too. Where overlay
 * storage cannot be used (an unprivileged pod without fuse-overlayfs), it gets `--storage-driver vfs`. A
 * cache repository is `--layers --cache-from R --cache-to R`: each step's layer is pushed to R and looked
 * up there first.
 */
export const buildah: Builder = {
  name: "buildah",
  title: "Buildah",
  program: "buildah",
  install:
    "apt-get install buildah (Debian/Ubuntu), dnf install buildah, or the quay.io/buildah/stable image",
  emulates: true,
  digestFileName: "digest",
  warnings: () => [],
  commands(input: BuilderInput) {
    const global = input.overlayUsable ? [] : ["--storage-driver", "vfs"];
    // Given to a local push too: Buildah checks an auth file (REGISTRY_AUTH_FILE, if set) for every push.
    const authfile = ["--authfile", `${input.authDir}/config.json`];
    const tls = input.plainHttp.length > 0 ? ["--tls-verify=false"] : [];
    const bud = [
      ...global,
      "bud",
      "--isolation",
      "chroot",
      "--platform",
      input.platform,
      "--file",
      input.dockerfile,
      "--tag",
      input.destination,
      ...authfile,
      ...tls,
      ...input.buildArgs.flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      ...input.labels.flatMap(([key, value]) => ["--label", `${key}=${value}`]),
      ...(input.target ? ["--target", input.target] : []),
      ...(input.sourceDateEpoch !== undefined ? ["--timestamp", String(input.sourceDateEpoch)] : []),
      ...(input.cacheRepository
        ? ["--layers", "--cache-from", input.cacheRepository, "--cache-to", input.cacheRepository]
        : []),
      ...input.passThrough,
      input.context,
    ];
    const push =
      input.output.kind === "push"
        ? [
            ...[...global, "push", ...authfile, "--digestfile", input.output.digestFile, ...tls],
            ...[input.destination, `docker://${input.destination}`],
          ]
        : [...global, "push", "--quiet", ...authfile, input.destination, `oci:${input.output.dir}`];
    return [
      { name: "buildah bud", program: "buildah", args: bud, env: {} },
      { name: "buildah push", program: "buildah", args: push, env: {} },
    ];
  },
  readDigest: (text) => readDigestFile(text, "buildah"),
};
