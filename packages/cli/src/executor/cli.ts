import { Command } from "commander";
import { outcomeRecorder } from "../outcome.ts";
import type { Io } from "../output.ts";
import type { ExecutorOutcome } from "./exit.ts";
import { declareCleanup } from "./program/cleanup.ts";
import { declareConfig } from "./program/config.ts";
import { declareDoctor } from "./program/doctor.ts";
import { declarePrepare } from "./program/prepare.ts";
import { declareRun } from "./program/run.ts";

/** `polyarch-executor --help`: the stages as `[runners.custom]` in config.toml calls them. */
const EXAMPLE = `
Example ([runners.custom] as polyarch render writes it):
  config_exec = "/usr/local/bin/polyarch-executor"
  config_args = ["config", "--settings", "/etc/polyarch/executor.yaml"]
  run_args    = ["run", "--settings", "/etc/polyarch/executor.yaml"]   # the runner appends <script> <stage>

Check a host:
  polyarch-executor doctor --settings /etc/polyarch/executor.yaml
  polyarch-executor doctor --cleanup --settings /etc/polyarch/executor.yaml   # also stop jobs of a runner that died`;

/**
 * The `polyarch-executor` program: gitlab-runner's custom executor stages and doctor. Each command's
 * flags are declared in `program/<name>.ts`; its action loads `commands/<name>.ts` only when it runs
 * (run and cleanup load neither the registry client nor YAML nor zod). Actions print what commands
 * return and return their outcome; main hands outcomes and errors to exit.ts, with the command that ran.
 */
export function buildExecutorProgram(io: Io): {
  program: Command;
  outcome: () => ExecutorOutcome;
  command: () => string | undefined;
} {
  const { act, outcome } = outcomeRecorder<ExecutorOutcome>();
  let ran: string | undefined;
  const program = new Command("polyarch-executor")
    .description(
      "Runs GitLab CI jobs rootless, each in a bubblewrap sandbox made from its own image for this host's platform.",
    )
    .addHelpText("after", EXAMPLE)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .hook("preAction", (_program, action) => {
      ran = action.name();
    });
  declareConfig(program, io);
  declarePrepare(program, io);
  declareRun(program, io, act);
  declareCleanup(program, io);
  declareDoctor(program, io, act);
  return { program, outcome, command: () => ran };
}
