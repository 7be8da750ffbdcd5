#!/usr/bin/env -S node --max-semi-space-size=1
// The small young generation keeps memory flat while blobs stream through: every chunk is garbage a
// moment after it is sent, and with V8's default semi-space a 512 MiB copy held about 65 MiB of them
// between scavenges (bench/mirror-memory.ts measures it). Copies are I/O-bound, so the extra
// scavenges cost no measurable time. `pnpm polyarch` passes the same flag.
import module from "node:module";

// Compiled code is cached on disk (Node's own cache in the temp directory): a short command spends
// most of its time loading undici and zod, and the cache cuts that by about a sixth.
module.enableCompileCache?.();
const { main } = await import("../dist/index.js");

// A closed pipe (`polyarch inspect … | head`) ends output quietly, as for any Unix tool.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
