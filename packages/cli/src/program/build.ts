import { type Command, Option } from "commander";
import type { BuildFlags } from "../commands/build.ts";
import { type Io, writeLine } from "../output.ts";
import { addRegistryOptions, collect } from "../registry-flags.ts";

/** `polyarch build`. */
export function declareBuild(program: Command, io: Io): void {
  addRegistryOptions(
    program
      .command("build")
      .description(
        "build this machine's architecture with the builder present (Kaniko, Buildah, BuildKit), push it to a unique tag, verify it",
      )
      .argument("[builder-args...]", "after --: extra arguments for the builder's build command")
      .option("--context <dir>", "the build context", ".")
      .option("--file <path>", "the Dockerfile (default: <context>/Dockerfile)")
      .option("--build-arg <key=value>", "a build argument; repeatable", collect, [])
      .option(
        "--build-args <json>",
        "build arguments as a JSON array, e.g. '[\"VERSION=1.4\"]' (how the multi-arch-image component passes its build-args input)",
      )
      .option(
        "--label <key=value>",
        "an image label; repeatable (OCI labels come from CI_* unless given)",
        collect,
        [],
      )
      .option("--target <stage>", "the Dockerfile stage to build")
      .option("--image <repo>", "the destination repository, e.g. $CI_REGISTRY_IMAGE; may hold {arch}")
      .option(
        "--tag-template <template>",
        "the tag: {arch} {os} {variant} {sha} {pipeline} {job} {ref}",
        "{arch}-{sha}-{pipeline}",
      )
      .addOption(
        new Option(
          "--builder <name>",
          "the builder to run (default: the first present of kaniko, buildah, buildkit)",
        ),
      )
      .option("--platform <os/arch>", "build for another platform than this machine's (needs --emulate)")
      .option("--emulate", "build --platform through QEMU/binfmt on purpose (Buildah and BuildKit; slow)")
      .option("--verify-binaries", "check the ELF machine of the image's binaries too")
      .option(
        "--push-with <who>",
        "builder: the builder pushes, reusing what the registry has, then polyarch reads it back; polyarch: the builder writes a local layout, polyarch checks it, then pushes it (retried, a wrong image never tagged)",
        "builder",
      )
      .option(
        "--source-date-epoch <seconds>",
        "pin the image's timestamps for a reproducible build: seconds, or a time with its zone such as $CI_COMMIT_TIMESTAMP (default: $SOURCE_DATE_EPOCH)",
      )
      .option(
        "--cache-repo <repo>",
        "reuse unchanged steps' layers from a registry cache, one per platform: <repo>/<os>-<arch> (Kaniko --cache-repo, Buildah --layers --cache-from/--cache-to, BuildKit registry cache)",
      )
      .option(
        "--dotenv <file>",
        "write POLYARCH_IMAGE_<ARCH> and POLYARCH_DIGEST_<ARCH> for artifacts: reports: dotenv",
      )
      .option("--json", "print a machine-readable report"),
  )
    .addHelpText(
      "after",
      [
        "",
        "The job fails before building when it asked for another architecture than this machine's",
        "(POLYARCH_PLATFORM, or KUBERNETES_NODE_SELECTOR_ARCH): check node_selector_overwrite_allowed.",
        "Credentials reach the builder in a private 0600 auth file: --username/--password, DOCKER_AUTH_CONFIG,",
        "CI_REGISTRY_*, Docker's config.json and helpers, and ECR tokens from the AWS SDK's credential chain.",
        "By default the builder pushes (skipping layers the registry has) and polyarch reads the image back by",
        "digest. With --push-with polyarch the builder writes a local OCI layout instead: polyarch checks it there",
        "and pushes it itself, so a wrong image is never tagged, at the cost of writing every layer locally.",
        "",
        "Examples:",
        "  $ polyarch build --image $CI_REGISTRY_IMAGE --dotenv build.env",
        "      pushes $CI_REGISTRY_IMAGE:amd64-$CI_COMMIT_SHORT_SHA-$CI_PIPELINE_ID on an amd64 runner",
        "  $ polyarch build --image $CI_REGISTRY_IMAGE-{arch} --tag-template {sha} --build-arg VERSION=1.4",
        "  $ polyarch build --image $CI_REGISTRY_IMAGE --platform linux/arm64 --emulate -- --layers",
        '  $ polyarch build --image $CI_REGISTRY_IMAGE --source-date-epoch "$CI_COMMIT_TIMESTAMP"',
        "      a retried job rebuilds the same digest, and its push writes nothing",
      ].join("\n"),
    )
    .action(async (passThrough: string[], flags: BuildFlags) => {
      const { buildCommand, buildReportJson } = await import("../commands/build.ts");
      const report = await buildCommand(passThrough, flags, io);
      if (flags.json) io.stdout.write(buildReportJson(report));
      else {
        io.stdout.write(`${report.image}\n`);
        writeLine(
          io.stderr,
          `${report.action === "unchanged" ? "unchanged" : "pushed"} ${report.reference} (${report.platform}${report.emulated ? ", emulated" : ""}, ${report.builder}${report.pushedBy === "polyarch" ? ", pushed by polyarch" : ""})`,
        );
      }
    });
}
