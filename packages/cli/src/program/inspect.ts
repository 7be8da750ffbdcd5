import type { Command } from "commander";
import type { InspectOptions } from "../commands/inspect.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions } from "../registry-flags.ts";

/** `polyarch inspect REF`. Command code is loaded when the command runs, so `--help` stays fast. */
export function declareInspect(program: Command, io: Io): void {
  addRegistryOptions(
    program
      .command("inspect")
      .description("show an image or multi-arch index as a tree: platforms, digests, config and layers")
      .argument("<ref>", "registry reference ([registry/]repo[:tag][@digest]) or oci:<dir>[:<tag>|@<digest>]")
      .option(
        "--platform <os/arch[/variant]>",
        "show the child of an index that is this platform (linux/amd64 is the baseline child, not amd64/v3)",
      )
      .option("--raw", "print the manifest bytes exactly as stored")
      .option(
        "--expand-config",
        "with --raw: an image's manifest with its config document inlined (manifest-tool's)",
      )
      .option("--json", "print a machine-readable description"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  polyarch inspect alpine:3.20\n  polyarch inspect --platform linux/arm64 registry.example.com/team/app:1.4\n  polyarch inspect --raw oci:./out:latest\n  polyarch --insecure inspect --raw --expand-config 127.0.0.1:5000/app:1.0",
    )
    .action(
      async (
        ref: string,
        options: InspectOptions & { raw?: boolean; json?: boolean; expandConfig?: boolean },
      ) => {
        const [{ inspect }, { expandConfig, renderTree, toJson }] = await Promise.all([
          import("../commands/inspect.ts"),
          import("../inspection.ts"),
        ]);
        if (options.expandConfig && !options.raw) {
          const { PolyarchError } = await import("@polyarch/errors");
          throw new PolyarchError("POLYARCH_E_BAD_FLAG", "--expand-config works only with --raw", {
            hint: "write --raw --expand-config, as manifest-tool takes them",
          });
        }
        const result = await inspect(ref, options, io);
        if (options.expandConfig) io.stdout.write(expandConfig(result));
        else if (options.raw) io.stdout.write(result.raw);
        else io.stdout.write(options.json ? toJson(result) : renderTree(result));
      },
    );
}
