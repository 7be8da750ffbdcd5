// polyarch-executor from the TypeScript sources, reached through @polyarch/cli's public entry (the
// runner harness starts node with --conditions=polyarch-source), so the tests exercise the code as it
// is now; the published binary, packages/cli/bin/polyarch-executor.js, runs the same function from dist/.
import { executorMain, processIo } from "@polyarch/cli";

process.exitCode = await executorMain(process.argv, processIo);
