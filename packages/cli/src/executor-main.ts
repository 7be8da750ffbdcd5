import { isPolyarchError } from "@polyarch/oci/errors";
import { redactText } from "@polyarch/oci/redact";
import { Command, CommanderError } from "commander";
import type { Io } from "./output.ts";

/** `polyarch-executor --help` and its stages, as `[runners.custom]` in config.toml calls them. */
const EXAMPLE = `
Example ([runners.custom] as polyarch render writes it):
  config_exec = "/usr/local/bin/polyarch-executor"
  config_args = ["config", "--settings", "/etc/polyarch/executor.yaml"]
  run_args    = ["run", "--settings", "/etc/polyarch/executor.yaml"]   # the runner appends <script> <stage>

Check a host:
  polyarch-executor doctor --settings /etc/polyarch/executor.yaml`;

const SETTINGS_FLAG = ["--settings <file>", "the executor settings file (YAML)"] as const;

/**
 * The polyarch-executor program: gitlab-runner's custom executor stages. Failures of config, prepare
 * and run exit with SYSTEM_FAILURE_EXIT_CODE, a script's own failure with BUILD_FAILURE_EXIT_CODE (its
 * code in BUILD_EXIT_CODE_FILE); cleanup always exits 0. Resolves to the exit code.
 */
export async function executorMain(argv: string[], io: Io): Promise<number> {
  // run and cleanup load only what they need; the rest (registry client, YAML, zod) when used.
  const stages = await import("@polyarch/executor/run-stages");
  const executor = () => import("@polyarch/executor");
  const codes = stages.failureExitCodes(io.env);
  const stageIo = { ...stages.processStageIo, env: io.env, stdout: io.stdout, stderr: io.stderr };
  let exitCode = 0;
  const settingsOf = (options: { settings?: string }) => async () => {
    const { loadSettings, processReader } = await import("@polyarch/executor/settings");
    return loadSettings(options.settings, processReader(io.env));
  };
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
    });
  program
    .command("config")
    .description("print the job's builds_dir, cache_dir, hostname and driver as JSON")
    .option(...SETTINGS_FLAG)
    .action(async (options: { settings?: string }) => {
      const settings = await settingsOf(options)();
      const output = stages.configOutput(io.env, stageIo.hostname(), settings.stateDir);
      io.stdout.write(`${JSON.stringify(output)}\n`);
    });
  program
    .command("prepare")
    .description("pull the job's image for this host and make the job's root (idempotent)")
    .option(...SETTINGS_FLAG)
    .action(async (options: { settings?: string }) => {
      await (await executor()).prepare(await settingsOf(options)(), stageIo);
    });
  program
    .command("run")
    .description("run one stage's script in the job's sandbox")
    .argument("<script>", "the script gitlab-runner wrote")
    .argument("<stage>", "the stage's name (step_script, after_script, …)")
    .option(...SETTINGS_FLAG)
    .action(async (script: string, stage: string, options: { settings?: string }) => {
      const result = await stages.run(stageIo, script, stage, settingsOf(options));
      if (result.kind !== "success") exitCode = codes.build;
    });
  program
    .command("cleanup")
    .description("remove the job's files from the host (the image cache stays); never fails")
    .option(...SETTINGS_FLAG)
    .action(async (options: { settings?: string }) => {
      await stages.cleanup(stageIo, settingsOf(options));
    });
  program
    .command("doctor")
    .description("check bubblewrap, user namespaces, overlayfs, binfmt and the state dir; print fixes")
    .option(...SETTINGS_FLAG)
    .action(async (options: { settings?: string }) => {
      const { doctor, formatDoctor } = await executor();
      const checks = await doctor(await settingsOf(options)());
      io.stdout.write(formatDoctor(checks));
      if (checks.some((check) => !check.ok)) exitCode = 1;
    });
  const stage = argv[2];
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (thrown: unknown) {
    if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? 0 : 2;
    const error = stages.describeFileSystemFailure(thrown, process.getuid?.());
    if (stage === "cleanup") return 0;
    io.stderr.write(`polyarch-executor: ${redactText(describe(error))}\n`);
    if (isPolyarchError(error) && error.hint) io.stderr.write(`hint: ${redactText(error.hint)}\n`);
    if (stage === "doctor") return isPolyarchError(error) && error.kind === "input" ? 2 : 1;
    return codes.system;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
