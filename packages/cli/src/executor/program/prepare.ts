import type { Command } from "commander";
import type { Io } from "../../output.ts";
import type { StageOptions } from "../commands/context.ts";
import { addSettingsOption } from "./settings-flag.ts";

/** `polyarch-executor prepare`. */
export function declarePrepare(program: Command, io: Io): void {
  addSettingsOption(
    program
      .command("prepare")
      .description("pull the job's image for this host and make the job's root (idempotent)"),
  ).action(async (options: StageOptions) => {
    const { prepare } = await import("../commands/prepare.ts");
    await prepare(options, io);
  });
}
