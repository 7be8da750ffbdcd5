import type { Command } from "commander";
import type { Io } from "../../output.ts";
import type { StageOptions } from "../commands/context.ts";
import { addSettingsOption } from "./settings-flag.ts";

/** `polyarch-executor cleanup`. */
export function declareCleanup(program: Command, io: Io): void {
  addSettingsOption(
    program
      .command("cleanup")
      .description(
        "remove the job's files from the host (the image cache stays); exits 0 even when it cannot finish",
      ),
  ).action(async (options: StageOptions) => {
    const { cleanup } = await import("../commands/cleanup.ts");
    await cleanup(options, io);
  });
}
