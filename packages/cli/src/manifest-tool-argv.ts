import type { Command } from "commander";
import { atEndOfOptions } from "./end-of-options.ts";

/**
 * Command lines written for manifest-tool, made into polyarch's: manifest-tool is a Go (urfave/cli)
 * program, so its users write long flags with one dash (`-username u`) and its global flags before the
 * command (`manifest-tool --username u push from-args …`, `manifest-tool --insecure inspect …`).
 * Pure: argv in, argv out; `flags` says which long flags polyarch has and which take a value. What
 * follows `--` is not polyarch's and is left as written.
 */
export function fromManifestToolArgv(argv: string[], flags: ReadonlyMap<string, boolean>): string[] {
  const [node = "", script = "", ...args] = argv;
  const { own, rest } = atEndOfOptions(args);
  const doubled = own.map((arg, i) =>
    isGoStyle(arg, flags) && !takesValue(own[i - 1], flags) ? `-${arg}` : arg,
  );
  return [node, script, ...hoist(doubled, flags), ...rest];
}

/** The long flags of a program and its subcommands, each with whether it takes a value. */
export function longFlagsOf(program: Command): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  const visit = (command: Command) => {
    for (const option of command.options) {
      if (option.long) flags.set(option.long, option.required || option.optional);
    }
    command.commands.forEach(visit);
  };
  visit(program);
  return flags;
}

const HOISTED_BEFORE = new Set(["push", "inspect"]);

/** Flags written before `push` or `inspect` move after it, where those commands declare them. */
function hoist(args: string[], flags: ReadonlyMap<string, boolean>): string[] {
  const at = args.findIndex((arg, i) => HOISTED_BEFORE.has(arg) && !takesValue(args[i - 1], flags));
  if (at <= 0) return args;
  const before = args.slice(0, at);
  const onlyFlags = before.every((arg, i) => arg.startsWith("-") || takesValue(before[i - 1], flags));
  return onlyFlags ? [args[at] as string, ...before, ...args.slice(at + 1)] : args;
}

/** `-username` or `-username=u` where polyarch has `--username`. */
function isGoStyle(arg: string, flags: ReadonlyMap<string, boolean>): boolean {
  const match = /^-([a-z][a-z0-9-]+)(=.*)?$/s.exec(arg);
  return match !== null && flags.has(`--${match[1]}`);
}

/** True when `flag` is a `--name` (not `--name=value`) whose value is the next argument. */
function takesValue(flag: string | undefined, flags: ReadonlyMap<string, boolean>): boolean {
  if (flag === undefined || flag.includes("=")) return false;
  const long = flag.startsWith("--") ? flag : isGoStyle(flag, flags) ? `-${flag}` : undefined;
  return long !== undefined && flags.get(long) === true;
}
