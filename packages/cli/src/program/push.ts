import { type Command, Option } from "commander";
import type { ManifestToolFlags } from "../commands/push.ts";
import type { Io } from "../output.ts";
import { collect, registryOptions } from "../registry-flags.ts";

/** `polyarch push from-args | from-spec`: manifest-tool's commands, flags and output. */
export function declarePush(program: Command, io: Io): void {
  const push = program
    .command("push")
    .description(
      "manifest-tool compatible: push from-args | from-spec (same flags and rules; see `polyarch merge` for polyarch's)",
    );
  for (const option of pushOptions()) push.addOption(option);
  const fromArgs = push
    .command("from-args")
    .description("merge images named by --platforms and --template into --target, like manifest-tool")
    .requiredOption(
      "--platforms <list>",
      "comma-separated platforms (repeatable), e.g. linux/amd64,linux/arm64",
      collect,
      [],
    )
    .requiredOption(
      "--template <ref>",
      "source reference; ARCH, OS and VARIANT (or {arch} {os} {variant}) are replaced",
    )
    .requiredOption("--target <ref>", "the multi-arch image to push")
    .option("--tags <list>", "more tags for the index, comma-separated (repeatable)", collect, [])
    .option("--ignore-missing", "only warn about missing source images")
    .option(
      "--annotations <list>",
      "KEY=VALUE annotations for the index, comma-separated (repeatable; needs --type oci)",
      collect,
      [],
    )
    .option("--fix-platform", FIX_PLATFORM)
    .option(
      "--same-image",
      "let a --template without a placeholder name one image for every platform, as manifest-tool does (for images without binaries)",
    )
    .addHelpText(
      "after",
      "\nExample:\n  $ polyarch --username u --password p push from-args --platforms linux/amd64,linux/arm64 \\\n      --template registry.example.com/app-ARCH:1.0 --target registry.example.com/app:1.0 --tags latest",
    )
    .action(async (_flags: ManifestToolFlags, command: Command) => {
      const { manifestToolOutput, pushFromArgs } = await import("../commands/push.ts");
      io.stdout.write(
        manifestToolOutput(await pushFromArgs(command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of pushOptions()) fromArgs.addOption(option.hideHelp());
  const fromSpec = push
    .command("from-spec")
    .description("merge the images a manifest-tool YAML spec names")
    .argument("<file>", "manifest-tool from-spec YAML (image, tags, annotations, manifests[].image/platform)")
    .option("--ignore-missing", "only warn about missing source images")
    .option(
      "--ignore-unknown-keys",
      "warn about keys the spec format does not have instead of refusing the file (manifest-tool ignores them)",
    )
    .option("--fix-platform", FIX_PLATFORM)
    .addHelpText("after", "\nExample:\n  $ polyarch push --type oci from-spec manifest.yaml")
    .action(async (file: string, _flags: ManifestToolFlags, command: Command) => {
      const { manifestToolOutput, pushFromSpec } = await import("../commands/push.ts");
      io.stdout.write(
        manifestToolOutput(await pushFromSpec(file, command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of pushOptions()) fromSpec.addOption(option.hideHelp());
}

const FIX_PLATFORM =
  "when a source's config contradicts its stated platform and its binaries agree with the platform, push a corrected config and manifest and list that copy";

/** manifest-tool's flags for push (its global ones and --type); a fresh set for each command. */
function pushOptions(): Option[] {
  return [
    ...registryOptions(),
    new Option(
      "--type <type>",
      "index type: docker (a Docker manifest list, manifest-tool's default) or oci (an OCI index); any case",
    ).default("docker"),
  ];
}
