import { basename, dirname } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import { isDigest } from "@polyarch/oci";
import type { Builder, BuilderInput } from "./types.ts";

/**
 * BuildKit rootless without a daemon (https://github.com/moby/buildkit/blob/master/docs/rootless.md):
 * `buildctl-daemonless.sh build` with the dockerfile frontend, pushing from the image exporter and
 * writing `--metadata-file`, or with the OCI exporter writing a layout directory (`tar=false`).
 * Credentials come from `$DOCKER_CONFIG/config.json`. A source date epoch is the `SOURCE_DATE_EPOCH`
 * build argument, with `rewrite-timestamp` for the files' times (BuildKit 0.13 and later).
 */
export const buildkit: Builder = {
  name: "buildkit",
  title: "BuildKit",
  program: "buildctl-daemonless.sh",
  install: "run the job in the moby/buildkit:rootless image, which has buildctl-daemonless.sh",
  emulates: true,
  digestFileName: "metadata.json",
  warnings: () => [],
  commands(input: BuilderInput) {
    const epoch = input.sourceDateEpoch;
    const rewrite = epoch !== undefined ? ",rewrite-timestamp=true" : "";
    const insecure = input.plainHttp.length > 0 ? ",registry.insecure=true" : "";
    const output =
      input.output.kind === "push"
        ? [
            "--output",
            `type=image,name=${input.destination},push=true${insecure}${rewrite}`,
            "--metadata-file",
            input.output.digestFile,
          ]
        : ["--output", `type=oci,name=${input.destination},dest=${input.output.dir},tar=false${rewrite}`];
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
      ...output,
      // The registry cache exporter, every step's layers (mode=max), in one manifest tagged buildcache.
      ...(input.cacheRepository
        ? [
            "--import-cache",
            `type=registry,ref=${input.cacheRepository}:buildcache${insecure}`,
            "--export-cache",
            `type=registry,ref=${input.cacheRepository}:buildcache,mode=max${insecure}`,
          ]
        : []),
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
  readDigest: readMetadataDigest,
};

/** `containerimage.digest` from buildctl's metadata file (a JSON object of exporter responses). */
function readMetadataDigest(text: string): string {
  let digest: unknown;
  try {
    digest = (JSON.parse(text) as Record<string, unknown>)["containerimage.digest"];
  } catch {
    digest = undefined;
  }
  if (typeof digest !== "string" || !isDigest(digest)) {
    throw new PolyarchError(
      "POLYARCH_E_BUILDER_OUTPUT",
      "buildctl's metadata file has no containerimage.digest",
      { hint: "the image exporter did not push; see the builder's output above" },
    );
  }
  return digest;
}
