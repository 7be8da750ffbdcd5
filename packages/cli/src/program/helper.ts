import type { Command } from "commander";
import type { HelperOptions } from "../commands/helper.ts";
import type { Act } from "../outcome.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions } from "../registry-flags.ts";

const SUBCOMMANDS = [
  {
    name: "refresh",
    dryRun: false,
    description:
      "mirror, verify and stitch the helper images a spec names; pushes only what changed upstream",
  },
  {
    name: "plan",
    dryRun: true,
    description: "show what refresh would do, checking each version/flavor with HEAD requests only",
  },
];

/** `polyarch helper refresh|plan FILE`: the multi-arch gitlab-runner-helper image. */
export function declareHelper(program: Command, io: Io, act: Act): void {
  const helper = program
    .command("helper")
    .description(
      "keep a multi-arch gitlab-runner-helper image fresh (images/gitlab-runner-helper/helper.yaml)",
    );
  for (const { name, dryRun, description } of SUBCOMMANDS) {
    const command = addRegistryOptions(
      helper
        .command(name)
        .description(description)
        .argument("<file>", "helper spec (YAML), e.g. images/gitlab-runner-helper/helper.yaml")
        .option(
          "--upstream <registry/repository>",
          "read upstream helper images from here instead of the spec's",
        )
        .option("--target <repository>", "write to this repository (or oci:<dir>) instead of the spec's")
        .option("--json", "print a machine-readable report"),
    );
    if (!dryRun) command.option("--force", "rebuild every item even when its receipt says it is current");
    command
      .addHelpText(
        "after",
        [
          "",
          "Exit codes: 0 all current; 3 some version/flavor failed and the rest completed; 1 all failed; 2 bad spec.",
          "",
          "Examples:",
          `  $ polyarch helper ${name} images/gitlab-runner-helper/helper.yaml`,
          `  $ polyarch helper ${name} helper.yaml --upstream registry.internal/gitlab-org/gitlab-runner/gitlab-runner-helper --json`,
        ].join("\n"),
      )
      .action(
        act(async (file: string, options: HelperOptions & { json?: boolean }) => {
          const { formatRefreshReport, helperCommand } = await import("../commands/helper.ts");
          const { report, outcome } = await helperCommand(file, options, io, { dryRun });
          if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else if (dryRun) io.stdout.write(formatRefreshReport(report));
          else {
            for (const item of report.items) if (item.reference) io.stdout.write(`${item.reference}\n`);
            io.stderr.write(formatRefreshReport(report));
          }
          return outcome;
        }),
      );
  }
}
