import { type Command, Option } from "commander";

/** The flags every command that talks to registries accepts (manifest-tool's global flags among them). */
export interface RegistryFlags {
  username?: string;
  password?: string;
  insecureRegistry?: string[];
  caFile?: string;
  verbose?: boolean;
  /** manifest-tool's --debug: as --verbose, and errors show their cause. */
  debug?: boolean;
  /** manifest-tool's --insecure: HTTPS without certificate verification. */
  insecure?: boolean;
  /** manifest-tool's --plain-http: every registry over plain HTTP. */
  plainHttp?: boolean;
  /** manifest-tool's --docker-cfg: a directory holding config.json, or a JSON file of that format. */
  dockerCfg?: string;
}

/** A fresh set of the registry flags, for each command that accepts them. */
export function registryOptions(): Option[] {
  return [
    new Option("--username <user>", "username for the target registry (only that registry receives it)"),
    new Option(
      "--password <password>",
      "password or token for the target registry (prefer $POLYARCH_PASSWORD)",
    ),
    new Option(
      "--docker-cfg <path>",
      "Docker's config.json to read credentials from: its directory or the file itself (default: $DOCKER_CONFIG or ~/.docker)",
    ),
    new Option(
      "--insecure-registry <host>",
      "reach this registry over plain HTTP (repeatable; loopback registries fall back to it when they lack TLS)",
    )
      .argParser(collect)
      .default([]),
    new Option("--plain-http", "reach every registry over plain HTTP (manifest-tool's --plain-http)"),
    new Option("--insecure", "HTTPS without certificate verification (manifest-tool's --insecure)"),
    new Option("--ca-file <path>", "extra CA certificates (PEM) to trust for TLS"),
    new Option("-v, --verbose", "log retries and registry warnings to stderr"),
    new Option("--debug", "as --verbose, and errors show their cause (manifest-tool's --debug)"),
  ];
}

export function addRegistryOptions(command: Command): Command {
  for (const option of registryOptions()) command.addOption(option);
  return command;
}

/** commander's way to make a flag repeatable: each use appends its value. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
