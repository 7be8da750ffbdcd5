import { type Command, Option } from "commander";
import type { MergeOptions } from "../commands/merge.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions, collect } from "../registry-flags.ts";

/** `polyarch merge`. */
export function declareMerge(program: Command, io: Io): void {
  addRegistryOptions(
    program
      .command("merge")
      .description(
        "merge per-architecture images into one multi-arch image (OCI index or Docker manifest list)",
      )
      .argument("[sources...]", "source images: REF, or REF=os/arch[/variant] to state the platform")
      .option("--target <ref>", "where the multi-arch image goes (a tag reference, or oci:<dir>:<tag>)")
      .option(
        "--platforms <list>",
        "with --template or --from-env: comma-separated platforms, e.g. linux/amd64,linux/arm64",
      )
      .option(
        "--template <ref>",
        "source reference with placeholders {arch} {os} {variant} (or manifest-tool's ARCH OS VARIANT)",
      )
      .option("--spec <file>", "manifest-tool from-spec YAML naming target, tags, annotations and sources")
      .option(
        "--from-env",
        "the sources are the POLYARCH_IMAGE_<ARCH> variables polyarch build's dotenv reports passed (--platforms: require these)",
      )
      .option("--tags <list>", "more tags for the same index, comma-separated")
      .option("--ignore-missing", "skip sources that do not exist (all missing is still an error)")
      .addOption(
        new Option(
          "--type <type>",
          "index type (default: docker only when every child is a Docker manifest)",
        ).choices(["oci", "docker"]),
      )
      .option(
        "--annotation <key=value>",
        "annotate the index (KEY=VALUE or index:KEY=VALUE), every entry (manifest-descriptor:KEY=VALUE) or one platform's entry (os/arch:KEY=VALUE or manifest-descriptor[os/arch]:KEY=VALUE); repeatable, OCI only",
        collect,
        [],
      )
      .option(
        "--no-attestations",
        "drop the attestation manifests (provenance, SBOM) of index sources; by default each is kept after its image",
      )
      .option("--keep-attestations", "keep the attestation manifests of index sources (the default)")
      .option(
        "--no-referrers",
        "leave behind what refers to the images copied from other repositories (signatures, SBOMs; copied before the tag by default)",
      )
      .option(
        "--verify-binaries",
        "read each source's layers and fail when its ELF binaries are for another architecture",
      )
      .option(
        "--fix-platform",
        "when a source's config contradicts its stated platform and its binaries agree with the platform, push a corrected config and manifest and list that copy",
      )
      .option("--ignore-unknown-keys", "with --spec: warn about unknown keys instead of refusing the file")
      .option("--dry-run", "print the index that would be pushed; push nothing")
      .option("--digest-file <file>", "write the pushed index's digest to this file")
      .option(
        "--dotenv <file>",
        "write POLYARCH_INDEX=repo@sha256:… and POLYARCH_DIGESTS (every image of the index as repo@sha256:…, comma-separated) for artifacts: reports: dotenv",
      )
      .option("--json", "print a machine-readable report"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Placeholders in --template: every {arch}, {os} and {variant} is replaced. Without braces, manifest-tool's",
        "rule applies: the first ARCH, then the first OS, then the first VARIANT (empty when none) are replaced.",
        "",
        "Examples:",
        "  $ polyarch merge --platforms linux/amd64,linux/arm64 \\",
        "      --template $CI_REGISTRY_IMAGE:{arch}-$CI_COMMIT_SHA --target $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA",
        "  $ polyarch merge --target registry.example.com/app:1.4 app@sha256:… app-arm@sha256:…=linux/arm64",
        "  $ polyarch merge --spec manifest.yaml --dry-run",
        "  $ polyarch merge --from-env --platforms linux/amd64,linux/arm64 \\",
        "      --target $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA --tags latest --dotenv merge.env",
      ].join("\n"),
    )
    .action(async (sources: string[], options: MergeOptions & { json?: boolean }) => {
      const { mergeCommand, mergeReportJson } = await import("../commands/merge.ts");
      const report = await mergeCommand(sources, options, io);
      if (options.json) io.stdout.write(mergeReportJson(report));
      else if (options.dryRun)
        io.stdout.write(`${JSON.stringify(JSON.parse(new TextDecoder().decode(report.index)), null, 2)}\n`);
      else io.stdout.write(`${report.repository}@${report.digest}\n`);
      if (!options.json) {
        io.stderr.write(
          `${report.action}: ${report.repository}:${report.tag} (${report.manifests.length} manifests)\n`,
        );
      }
    });
}
