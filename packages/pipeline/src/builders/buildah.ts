import type { Builder, BuilderInput } from "./types.ts";

/**
 * Buildah (https://github.com/containers/buildah/blob/main/docs/buildah-build.1.md): `buildah bud` with
 * chroot isolation (no runc, no privileges beyond a user namespace), then `buildah push` into the
 * layout directory (local: no registry). A source date epoch is `--timestamp`, which pins the image's
 * dates and its files' times. Buildah has no per-registry TLS switch on the
 * command line, so a plain-HTTP base registry turns TLS verification off for all of the build's pulls.
 */
export const buildah: Builder = {
  name: "buildah",
  program: "buildah",
  install:
    "apt-get install buildah (Debian/Ubuntu), dnf install buildah, or the quay.io/buildah/stable image",
  emulates: true,
  commands(input: BuilderInput) {
    const global = input.storageDriver ? ["--storage-driver", input.storageDriver] : [];
    // Given to the local push too: Buildah checks an auth file (REGISTRY_AUTH_FILE, if set) for every push.
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
      ...input.passThrough,
      input.context,
    ];
    const push = [...global, "push", "--quiet", ...authfile, input.destination, `oci:${input.layoutDir}`];
    return [
      { name: "buildah bud", program: "buildah", args: bud, env: {} },
      { name: "buildah push", program: "buildah", args: push, env: {} },
    ];
  },
};
