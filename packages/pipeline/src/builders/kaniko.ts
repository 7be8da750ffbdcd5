import { readDigestFile } from "./output-file.ts";
import type { Builder, BuilderInput } from "./types.ts";

/**
 * Kaniko (https://github.com/GoogleContainerTools/kaniko#additional-flags; the maintained fork's image
 * keeps `/kaniko/executor`): builds and pushes in one process, reading credentials from
 * `$DOCKER_CONFIG/config.json`. Its `--digest-file` is written before the push has finished, so polyarch
 * reads the image back by digest before trusting it. `--no-push` with `--oci-layout-path` leaves the image
 * in the layout directory instead (its base layers downloaded into it); `--destination` stays for the
 * cache repository Kaniko infers from it. A source date epoch is `--reproducible`, which pins every
 * timestamp to 0 (Kaniko has no way to pin another): another epoch gets a warning. Without `TMPDIR` the
 * private directory goes under `/kaniko`, because Kaniko deletes its container's filesystem between
 * stages except `/kaniko` and mounted volumes.
 */
export const kaniko: Builder = {
  name: "kaniko",
  title: "Kaniko",
  program: "/kaniko/executor",
  install:
    "run the job in the gcr.io/kaniko-project/executor:debug image (or the maintained fork's), which has /kaniko/executor",
  emulates: false,
  digestFileName: "digest",
  privateDirParent: "/kaniko",
  warnings: ({ sourceDateEpoch }) =>
    sourceDateEpoch !== undefined && sourceDateEpoch !== 0
      ? [
          `Kaniko's --reproducible pins every timestamp to 1970-01-01, not to the source date epoch ${sourceDateEpoch}`,
        ]
      : [],
  commands(input: BuilderInput) {
    const args = [
      "--context",
      `dir://${input.context}`,
      "--dockerfile",
      input.dockerfile,
      "--destination",
      input.destination,
      ...(input.output.kind === "push"
        ? ["--digest-file", input.output.digestFile]
        : ["--no-push", "--oci-layout-path", input.output.dir]),
      ...input.plainHttp.flatMap((host) => ["--insecure-registry", host, "--skip-tls-verify-registry", host]),
      ...input.buildArgs.flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      ...input.labels.flatMap(([key, value]) => ["--label", `${key}=${value}`]),
      ...(input.target ? ["--target", input.target] : []),
      ...(input.sourceDateEpoch !== undefined ? ["--reproducible"] : []),
      // Kaniko's layer cache: each RUN's layer in the repository, keyed by the step and its inputs.
      ...(input.cacheRepository ? ["--cache=true", "--cache-repo", input.cacheRepository] : []),
      ...input.passThrough,
    ];
    return [
      { name: "kaniko executor", program: "/kaniko/executor", args, env: { DOCKER_CONFIG: input.authDir } },
    ];
  },
  readDigest: (text) => readDigestFile(text, "kaniko"),
};
