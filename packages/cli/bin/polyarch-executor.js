#!/usr/bin/env node
// gitlab-runner's custom executor stages ([runners.custom] in config.toml). Each stage is a short
// process, so Node's compile cache matters: see polyarch.js.
import module from "node:module";

module.enableCompileCache?.();
const { executorMain } = await import("../dist/executor-main.js");
const { processIo } = await import("../dist/output.js");

process.exitCode = await executorMain(process.argv, processIo);
