import { executorMain } from "../executor/main.ts";
import { processIo } from "../output.ts";

// The process entry of the `polyarch-executor` binary (gitlab-runner's custom executor stages), bundled
// to dist/bin/polyarch-executor.cjs (scripts/bundle.ts) and loaded by bin/polyarch-executor.js. SIGTERM
// is the run stage's to handle (the job's tree is stopped with a grace), so none is installed here.

// A closed pipe (`polyarch-executor --help | head`, or a runner gone mid-stage) drops what is left to
// write; unlike polyarch's, the stage goes on to its end, so a run stage still stops the job's tree.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

executorMain(process.argv, processIo).then((code) => {
  process.exitCode = code;
});
