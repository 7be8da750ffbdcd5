import { type Command, Option } from "commander";
import type { ManifestToolFlags } from "../commands/push.ts";
import type { Io } from "../output.ts";
import { collect } from "../registry-flags.ts";

/** `polyarch push from-args | from-spec`: manifest-tool's commands, flags and output. */
export function declarePush(program: Command, io: Io): void {
  const push = program
    .command("push")
    .description(
      "manifest-tool compatible: push from-args | from-spec (same flags; see `polyarch merge` for more)",
    );
  for (const option of manifestToolGlobalOptions()) push.addOption(option);
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
      "KEY=VALUE annotations for the index, comma-separated (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      "\nExample:\n  $ polyarch push from-args --platforms linux/amd64,linux/arm64 \\\n      --template registry.example.com/app:ARCH-$CI_COMMIT_SHA --target registry.example.com/app:$CI_COMMIT_SHA",
    )
    .action(async (_flags: ManifestToolFlags, command: Command) => {
      const { manifestToolOutput, pushFromArgs } = await import("../commands/push.ts");
      io.stdout.write(
        manifestToolOutput(await pushFromArgs(command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of manifestToolGlobalOptions()) fromArgs.addOption(option.hideHelp());
  const fromSpec = push
    .command("from-spec")
    .description("merge the images a manifest-tool YAML spec names")
    .argument("<file>", "manifest-tool from-spec YAML (image, tags, annotations, manifests[].image/platform)")
    .option("--ignore-missing", "only warn about missing source images")
    .action(async (file: string, _flags: ManifestToolFlags, command: Command) => {
      const { manifestToolOutput, pushFromSpec } = await import("../commands/push.ts");
      io.stdout.write(
        manifestToolOutput(await pushFromSpec(file, command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of manifestToolGlobalOptions()) fromSpec.addOption(option.hideHelp());
}

/** manifest-tool's global flags; a fresh set for each command that accepts them. */
function manifestToolGlobalOptions(): Option[] {
  return [
    new Option("--username <user>", "username for the target registry"),
    new Option("--password <password>", "password for the target registry"),
    new Option("--docker-cfg <dir>", "directory holding Docker's config.json (default ~/.docker)"),
    new Option("--insecure", "reach the target registry over plain HTTP"),
    new Option("--plain-http", "reach the target registry over plain HTTP"),
    new Option("--type <type>", "index type: docker or oci (default: docker unless a child is OCI)").choices([
      "oci",
      "docker",
    ]),
  ];
}
