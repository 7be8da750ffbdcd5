import { executorMain } from "../executor/main.ts";
import { processIo } from "../output.ts";

// The process entry of the `polyarch-executor` binary (gitlab-runner's custom executor stages), bundled
// to dist/bin/polyarch-executor.cjs (scripts/bundle.ts) and loaded by bin/polyarch-executor.js. SIGTERM
// is the run stage's to handle (the job's tree is stopped with a grace), so none is installed here.
executorMain(process.argv, processIo).then((code) => {
  process.exitCode = code;
});
