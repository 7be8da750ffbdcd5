import { buildProgram } from "./cli.ts";
import { reportError } from "./exit.ts";
import { type Io, processIo } from "./output.ts";

export { buildProgram };

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const status = { exitCode: 0 };
  const program = buildProgram(io, status);
  try {
    await program.parseAsync(hoistManifestToolFlags(argv));
    return status.exitCode;
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
  if (
    push <= 0 ||
    !args
      .slice(0, push)
      .every(
        (arg, i, all) =>
          arg.startsWith("-") || (all[i - 1]?.startsWith("--") === true && !all[i - 1]?.includes("=")),
      )
  ) {
    return argv;
  }
  return [node, script, "push", ...args.slice(0, push), ...args.slice(push + 1)];
}
