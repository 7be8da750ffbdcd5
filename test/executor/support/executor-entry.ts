// polyarch-executor from the TypeScript sources, so the tests exercise the code as it is now (the
// published binary, packages/cli/bin/polyarch-executor.js, runs the same function from dist/).
import { executorMain } from "../../../packages/cli/src/executor-main.ts";
import { processIo } from "../../../packages/cli/src/output.ts";

process.exitCode = await executorMain(process.argv, processIo);
