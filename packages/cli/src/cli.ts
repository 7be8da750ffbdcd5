import { Command } from "commander";
import { type Outcome, outcomeRecorder } from "./outcome.ts";
import type { Io } from "./output.ts";
import { declareBuild } from "./program/build.ts";
import { declareCi } from "./program/ci.ts";
import { declareDemo } from "./program/demo.ts";
import { declareHelper } from "./program/helper.ts";
import { declareInspect } from "./program/inspect.ts";
import { declareMerge } from "./program/merge.ts";
import { declareMirror } from "./program/mirror.ts";
import { declarePush } from "./program/push.ts";
import { declareRender } from "./program/render.ts";
import { declareSync } from "./program/sync.ts";
import { polyarchVersion } from "./version.ts";

/**
 * The `polyarch` program. Each command's flags are declared in `program/<name>.ts`; its action loads
 * `commands/<name>.ts` only when it runs, so `polyarch --help` and every command start without loading
 * the others' dependencies. Commands return data and their outcome; the actions print the data and
 * return the outcome; main hands outcomes and errors to exit.ts.
 */
export function buildProgram(io: Io): { program: Command; outcome: () => Outcome } {
  const { act, outcome } = outcomeRecorder();
  const program = new Command("polyarch")
    .description(
      "Multi-arch images and GitLab runners for mixed amd64/arm64 fleets, without privileged containers.",
    )
    .version(polyarchVersion(), "-V, --version", "print polyarch's version")
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
  declareSync(program, io, act);
  declareHelper(program, io, act);
  declareRender(program, io);
  declareBuild(program, io);
  declareCi(program, io);
  declareDemo(program, io);
  return { program, outcome };
}
