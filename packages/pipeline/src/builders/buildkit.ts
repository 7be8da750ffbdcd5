import { basename, dirname } from "node:path";
import type { Builder, BuilderInput } from "./types.ts";

/**
 * BuildKit rootless without a daemon (https://github.com/moby/buildkit/blob/master/docs/rootless.md):
 * `buildctl-daemonless.sh build` with the dockerfile frontend and the OCI exporter writing a layout
 * directory (`tar=false`). Credentials for its pulls come from `$DOCKER_CONFIG/config.json`. A source
 * date epoch is the `SOURCE_DATE_EPOCH` build argument, with `rewrite-timestamp` for the files' times
 * (BuildKit 0.13 and later).
 */
export const buildkit: Builder = {
  name: "buildkit",
  program: "buildctl-daemonless.sh",
  install: "run the job in the moby/buildkit:rootless image, which has buildctl-daemonless.sh",
  emulates: true,
  commands(input: BuilderInput) {
    const epoch = input.sourceDateEpoch;
    const args = [
      "build",
      "--frontend",
      "dockerfile.v0",
      "--local",
      `context=${input.context}`,
      "--local",
      `dockerfile=${dirname(input.dockerfile)}`,
      "--opt",
      `filename=${basename(input.dockerfile)}`,
      "--opt",
      `platform=${input.platform}`,
      ...input.buildArgs.flatMap(([key, value]) => ["--opt", `build-arg:${key}=${value}`]),
      ...input.labels.flatMap(([key, value]) => ["--opt", `label:${key}=${value}`]),
      ...(input.target ? ["--opt", `target=${input.target}`] : []),
      ...(epoch !== undefined ? ["--opt", `build-arg:SOURCE_DATE_EPOCH=${epoch}`] : []),
      "--output",
      `type=oci,name=${input.destination},dest=${input.layoutDir},tar=false${epoch !== undefined ? ",rewrite-timestamp=true" : ""}`,
      ...input.passThrough,
    ];
    return [
      {
        name: "buildctl build",
        program: "buildctl-daemonless.sh",
        args,
        env: { DOCKER_CONFIG: input.authDir },
      },
    ];
  },
};
