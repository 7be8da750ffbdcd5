import type { Command } from "commander";
import type { Act } from "../../outcome.ts";
import type { Io } from "../../output.ts";
import type { StageOptions } from "../commands/context.ts";
import type { ExecutorOutcome } from "../exit.ts";
import { addSettingsOption } from "./settings-flag.ts";

/** `polyarch-executor run <script> <stage>`: the runner appends the two arguments to run_args. */
export function declareRun(program: Command, io: Io, act: Act<ExecutorOutcome>): void {
  addSettingsOption(
    program
      .command("run")
      .description("run one stage's script in the job's sandbox")
      .argument("<script>", "the script gitlab-runner wrote")
      .argument("<stage>", "the stage's name (step_script, after_script, …)"),
  ).action(
    act(async (script: string, stage: string, options: StageOptions) => {
      const { run } = await import("../commands/run.ts");
      return run(script, stage, options, io);
    }),
  );
}
