#!/usr/bin/env -S node --max-semi-space-size=1
// The small young generation keeps memory flat while blobs stream through: every chunk is garbage a
// moment after it is sent, and with V8's default semi-space a 512 MiB copy held about 65 MiB of them
// between scavenges (bench/mirror-memory.ts measures it). Copies are I/O-bound, so the extra
// scavenges cost no measurable time. `pnpm polyarch` passes the same flag.
//
// This launcher loads the bundle of the binary named like it (dist/bin/<name>.cjs, built by `pnpm build`
// from src/bin/<name>.ts; packages/cli/README.md, "Bundle"): a new binary's launcher is a copy of this file.
import module from "node:module";
import { basename } from "node:path";

// Compiled code is cached on disk (Node's own cache in the temp directory): the registry client's chunk
// compiles once, not on every run.
module.enableCompileCache?.();
// Stack traces name the TypeScript sources (the bundle's source maps) when debugging.
if (process.env.POLYARCH_DEBUG) process.setSourceMapsEnabled(true);
module.createRequire(import.meta.url)(`../dist/bin/${basename(import.meta.filename, ".js")}.cjs`);
