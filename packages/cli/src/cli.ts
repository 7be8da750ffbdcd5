import { Command } from "commander";
import type { Io } from "./output.ts";
import { declareDemo } from "./program/demo.ts";
import { declareHelper } from "./program/helper.ts";
import { declareInspect } from "./program/inspect.ts";
import { declareMerge } from "./program/merge.ts";
import { declareMirror } from "./program/mirror.ts";
import { declarePush } from "./program/push.ts";
import { declareRender } from "./program/render.ts";
import { declareSync } from "./program/sync.ts";

/** Set by a command whose outcome is not plain success (for example 3: some items failed). */
export interface RunStatus {
  exitCode: number;
}

/**
 * The `polyarch` program. Each command's flags are declared in `program/<name>.ts`; its action loads
 * `commands/<name>.ts` only when it runs, so `polyarch --help` and every command start without loading
 * the others' dependencies. Commands return data; the actions print it; exit.ts maps errors.
 */
export function buildProgram(io: Io, status: RunStatus = { exitCode: 0 }): Command {
  const program = new Command("polyarch")
    .description(
      "Multi-arch images and GitLab runners for mixed amd64/arm64 fleets, without privileged containers.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  declareMerge(program, io);
  declarePush(program, io);
  declareInspect(program, io);
  declareMirror(program, io);
  declareSync(program, io, status);
  declareHelper(program, io, status);
  declareRender(program, io);
  declareDemo(program, io);
  return program;
}
