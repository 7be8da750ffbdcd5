import type { Command } from "commander";
import type { Act } from "../../outcome.ts";
import type { Io } from "../../output.ts";
import type { StageOptions } from "../commands/context.ts";
import type { ExecutorOutcome } from "../exit.ts";
import { addSettingsOption } from "./settings-flag.ts";

/** `polyarch-executor doctor`: prints every check, exits 1 when something is missing. */
export function declareDoctor(program: Command, io: Io, act: Act<ExecutorOutcome>): void {
  addSettingsOption(
    program
      .command("doctor")
      .description("check bubblewrap, user namespaces, overlayfs, binfmt and the state dir; print fixes"),
  ).action(
    act(async (options: StageOptions) => {
      const [{ doctor }, { formatDoctor }] = await Promise.all([
        import("../commands/doctor.ts"),
        import("@polyarch/executor"),
      ]);
      const checks = await doctor(options, io);
      io.stdout.write(formatDoctor(checks));
      return checks.every((check) => check.ok) ? "succeeded" : "checks-failed";
    }),
  );
}
