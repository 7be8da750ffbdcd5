import type { Command } from "commander";
import type { Io } from "../../output.ts";
import type { StageOptions } from "../commands/context.ts";
import { addSettingsOption } from "./settings-flag.ts";

/** `polyarch-executor config`. */
export function declareConfig(program: Command, io: Io): void {
  addSettingsOption(
    program
      .command("config")
      .description("print the job's builds_dir, cache_dir, hostname and driver as JSON"),
  ).action(async (options: StageOptions) => {
    const { config } = await import("../commands/config.ts");
    io.stdout.write(`${JSON.stringify(await config(options, io))}\n`);
  });
}
