import type { Command } from "commander";

/** The flags every command that talks to registries accepts. */
export interface RegistryFlags {
  username?: string;
  password?: string;
  insecureRegistry?: string[];
  caFile?: string;
  verbose?: boolean;
}

export function addRegistryOptions(command: Command): Command {
  return command
    .option("--username <user>", "username for the target registry (only that registry receives it)")
    .option("--password <password>", "password or token for the target registry (prefer $POLYARCH_PASSWORD)")
    .option(
      "--insecure-registry <host>",
      "reach this registry over plain HTTP (repeatable; loopback registries always are)",
      collect,
      [],
    )
    .option("--ca-file <path>", "extra CA certificates (PEM) to trust for TLS")
    .option("-v, --verbose", "log retries and registry warnings to stderr");
}

/** commander's way to make a flag repeatable: each use appends its value. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
