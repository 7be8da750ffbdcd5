#!/usr/bin/env -S node --max-semi-space-size=1 --wasm-tiering-budget=2000000000 --expose-gc
// The small young generation keeps memory flat while blobs stream through: every chunk is garbage a
// moment after it is sent, and with V8's default semi-space a 512 MiB copy held about 65 MiB of them
// between scavenges (bench/mirror-memory.ts measures it). Copies are I/O-bound, so the extra
// scavenges cost no measurable time.
//
// The tier-up budget: undici parses HTTP with llhttp compiled to WebAssembly, and after a few dozen
// responses V8 recompiles its one large function with its optimizing compiler, in the background, which
// takes ~22 MiB for a moment: a quarter of a short command's peak RSS (`perf record -e page-faults`: over
// half the page faults of a tiny mirror). Baseline-compiled code parses headers fast enough, so the budget
// is put out of reach: a tiny mirror peaks at ~62 MiB instead of ~85 MiB. (Set here rather than with
// `v8.setFlagsFromString`, which costs ~4 ms of start-up to load node:v8.)
//
// --expose-gc lets src/bin/polyarch.ts collect dead chunk Buffers every 10 ms while blobs stream (the
// 512 MiB copy peaks ~15 MiB lower). `pnpm polyarch` passes the same flags.
//
// This launcher loads the bundle of the binary named like it (dist/bin/<name>.cjs, built by `pnpm build`
// from src/bin/<name>.ts; packages/cli/README.md, "Bundle"): a new binary's launcher is a copy of this file.
import module from "node:module";
import { homedir } from "node:os";
import { basename, join } from "node:path";

// Compiled code is cached on disk: the registry client's chunk compiles once, not on every run. For the
// executor the cache lives in the runner user's cache directory, not the temp directory: gitlab-runner
// gives every job a TMPDIR of its own, where a cache would not outlive the job.
module.enableCompileCache?.(
  process.env.NODE_COMPILE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "polyarch-executor"),
);
// Stack traces name the TypeScript sources (the bundle's source maps) when debugging.
if (process.env.POLYARCH_DEBUG) process.setSourceMapsEnabled(true);
module.createRequire(import.meta.url)(`../dist/bin/${basename(import.meta.filename, ".js")}.cjs`);
