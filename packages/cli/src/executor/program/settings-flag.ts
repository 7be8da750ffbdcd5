import type { Command } from "commander";

/** `--settings <file>`, which every command takes. */
export function addSettingsOption(command: Command): Command {
  return command.option(
    "--settings <file>",
    "the executor settings file (YAML) (default: /etc/polyarch/executor.yaml, or every default when it does not exist)",
  );
}
