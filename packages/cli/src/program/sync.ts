import type { Command } from "commander";
import type { SyncOptions } from "../commands/sync.ts";
import type { Act } from "../outcome.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions } from "../registry-flags.ts";

/** `polyarch sync FILE`. */
export function declareSync(program: Command, io: Io, act: Act): void {
  addRegistryOptions(
    program
      .command("sync")
      .description("mirror the images a sync spec names (tag filters, platforms), copying only what changed")
      .argument("<file>", "sync spec (YAML): images[].source/target/tags/platforms, registries, concurrency")
      .option("--dry-run", "plan and check with HEAD requests only; copy nothing")
      .option(
        "--shard <index/total>",
        'mirror only shard INDEX of TOTAL (a stable share of the images, by target); in a parallel job: --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"',
      )
      .option("--json", "print a machine-readable report"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Exit codes: 0 every image is current; 3 some images failed and the rest were mirrored; 1 all failed.",
        "",
        "Examples:",
        "  $ polyarch sync mirror.yaml --dry-run",
        "  $ polyarch sync mirror.yaml --json > sync-report.json",
        '  $ polyarch sync mirror.yaml --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"',
      ].join("\n"),
    )
    .action(
      act(async (file: string, options: SyncOptions & { json?: boolean }) => {
        const { formatSyncReport, syncCommand } = await import("../commands/sync.ts");
        const { report, outcome } = await syncCommand(file, options, io);
        if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else {
          for (const item of report.items) {
            if (item.digest && !report.dryRun) io.stdout.write(`${item.repository}@${item.digest}\n`);
          }
          io.stderr.write(formatSyncReport(report));
        }
        return outcome;
      }),
    );
}
