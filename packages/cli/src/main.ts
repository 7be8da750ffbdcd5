import { buildProgram } from "./cli.ts";
import { exitCodeOf, reportError } from "./exit.ts";
import { type Io, processIo } from "./output.ts";

export { buildProgram };

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const { program, outcome } = buildProgram(io);
  try {
    await program.parseAsync(hoistManifestToolFlags(argv));
    return exitCodeOf(outcome());
  } catch (error: unknown) {
    return reportError(error, io);
  }
}

/**
 * manifest-tool takes its global flags before the command (`manifest-tool --username u push …`).
 * For `polyarch push`, flags written before `push` are moved after it, where `push` declares them,
 * so a pipeline switches by changing only the binary name.
 */
export function hoistManifestToolFlags(argv: string[]): string[] {
  const [node = "", script = "", ...args] = argv;
  const push = args.indexOf("push");
  if (push <= 0) return argv;
  const before = args.slice(0, push);
  const onlyFlags = before.every((arg, i) => arg.startsWith("-") || isValueOf(before[i - 1]));
  return onlyFlags ? [node, script, "push", ...before, ...args.slice(push + 1)] : argv;
}

/** True when `flag` is a `--name` that takes the next argument as its value (`--username alice`). */
function isValueOf(flag: string | undefined): boolean {
  return flag?.startsWith("--") === true && !flag.includes("=") && !BOOLEAN_FLAGS.has(flag);
}

const BOOLEAN_FLAGS = new Set(["--insecure", "--plain-http", "--ignore-missing", "--debug"]);
