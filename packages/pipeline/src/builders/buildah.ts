import { readDigestFile } from "./output-file.ts";
import type { Builder, BuilderInput } from "./types.ts";

/**
 * Buildah (https://github.com/containers/buildah/blob/main/docs/buildah-build.1.md): `buildah bud` with
 * chroot isolation (no runc, no privileges beyond a user namespace), then `buildah push --digestfile`.
 * Buildah has no per-registry TLS switch on the command line, so a plain-HTTP destination turns TLS
 * verification off for the build's pulls too.
 */
export const buildah: Builder = {
  name: "buildah",
  program: "buildah",
  install:
    "apt-get install buildah (Debian/Ubuntu), dnf install buildah, or the quay.io/buildah/stable image",
  emulates: true,
  commands(input: BuilderInput) {
    const global = input.storageDriver ? ["--storage-driver", input.storageDriver] : [];
    const authfile = `${input.authDir}/config.json`;
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
      "--authfile",
      authfile,
      ...tls,
      ...input.buildArgs.flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      ...input.labels.flatMap(([key, value]) => ["--label", `${key}=${value}`]),
      ...(input.target ? ["--target", input.target] : []),
      ...input.passThrough,
      input.context,
    ];
    const push = [
      ...global,
      "push",
      "--authfile",
      authfile,
      "--digestfile",
      input.outputFile,
      ...tls,
      input.destination,
      `docker://${input.destination}`,
    ];
    return [
      { name: "buildah bud", program: "buildah", args: bud, env: {} },
      { name: "buildah push", program: "buildah", args: push, env: {} },
    ];
  },
  readDigest: (text) => readDigestFile(text, "buildah"),
};
