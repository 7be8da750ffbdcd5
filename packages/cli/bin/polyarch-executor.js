#!/usr/bin/env node
// gitlab-runner's custom executor stages ([runners.custom] in config.toml). Each stage is a short
// process, so Node's compile cache matters (see polyarch.js). It lives in the runner user's cache
// directory: the runner gives every job a TMPDIR of its own, where a cache would not outlive the job.
import module from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

module.enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "polyarch-executor"),
);
const { executorMain } = await import("../dist/executor-main.js");
const { processIo } = await import("../dist/output.js");

process.exitCode = await executorMain(process.argv, processIo);
