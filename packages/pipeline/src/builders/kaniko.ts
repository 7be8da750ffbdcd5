import type { Builder, BuilderInput } from "./types.ts";

/**
 * Kaniko (https://github.com/GoogleContainerTools/kaniko#additional-flags; the maintained fork's image
 * keeps `/kaniko/executor`): builds in one process, reading credentials from `$DOCKER_CONFIG/config.json`
 * for its pulls (and a `--cache-repo`, which it still pushes itself). `--no-push` with
 * `--oci-layout-path` leaves the image in the layout directory; `--destination` stays for the cache
 * repository Kaniko infers from it. A source date epoch is `--reproducible`, which pins every timestamp
 * to 0 (Kaniko has no way to pin another).
 */
export const kaniko: Builder = {
  name: "kaniko",
  program: "/kaniko/executor",
  install:
    "run the job in the gcr.io/kaniko-project/executor:debug image (or the maintained fork's), which has /kaniko/executor",
  emulates: false,
  commands(input: BuilderInput) {
    const args = [
      "--context",
      `dir://${input.context}`,
      "--dockerfile",
      input.dockerfile,
      "--destination",
      input.destination,
      "--no-push",
      "--oci-layout-path",
      input.layoutDir,
      ...input.plainHttp.flatMap((host) => ["--insecure-registry", host, "--skip-tls-verify-registry", host]),
      ...input.buildArgs.flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
      ...input.labels.flatMap(([key, value]) => ["--label", `${key}=${value}`]),
      ...(input.target ? ["--target", input.target] : []),
      ...(input.sourceDateEpoch !== undefined ? ["--reproducible"] : []),
      ...input.passThrough,
    ];
    return [
      { name: "kaniko executor", program: "/kaniko/executor", args, env: { DOCKER_CONFIG: input.authDir } },
    ];
  },
};
