import { buildProgram } from "./cli.ts";
import { atEndOfOptions } from "./end-of-options.ts";
import { exitCodeOf, reportError } from "./exit.ts";
import { fromManifestToolArgv, longFlagsOf } from "./manifest-tool-argv.ts";
import { type Io, processIo } from "./output.ts";

export { buildProgram };

/** Runs the CLI with `argv` (as in process.argv) and resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const { program, outcome } = buildProgram(io);
  const args = fromManifestToolArgv(argv, longFlagsOf(program));
  const { own } = atEndOfOptions(args.slice(2));
  // --version anywhere before `--` (`polyarch push --version`), as commander allows it only first.
  if (own.includes("--version")) {
    io.stdout.write(`${program.version()}\n`);
    return 0;
  }
  try {
    await program.parseAsync(args);
    return exitCodeOf(outcome());
  } catch (error: unknown) {
    // manifest-tool's --debug also shows an error's cause, as POLYARCH_DEBUG does.
    const debug = own.includes("--debug") ? { ...io, env: { ...io.env, POLYARCH_DEBUG: "1" } } : io;
    return reportError(error, debug);
  }
}
