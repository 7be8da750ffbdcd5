#!/usr/bin/env -S node --max-semi-space-size=1
// The small young generation keeps memory flat while blobs stream through: every chunk is garbage a
// moment after it is sent, and with V8's default semi-space a 512 MiB copy held about 65 MiB of them
// between scavenges (bench/mirror-memory.ts measures it). Copies are I/O-bound, so the extra
// scavenges cost no measurable time. `pnpm polyarch` passes the same flag.
import module from "node:module";

// Compiled code is cached on disk (Node's own cache in the temp directory): a short command spends
// most of its time loading undici and zod, and the cache cuts that by about a sixth.
module.enableCompileCache?.();
const { main, processIo } = await import("../dist/index.js");

// A closed pipe (`polyarch inspect … | head`) ends output quietly, as for any Unix tool.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// A cancelled CI job gets SIGTERM (Ctrl-C is SIGINT): the command stops writing at once (no tag after
// the signal, open uploads cancelled) and exits 128 + the signal's number, as a shell reports it. The
// timer bounds the tidying up to well under a second; a second signal exits at once.
const controller = new AbortController();
const codes = { SIGINT: 130, SIGTERM: 143 };
for (const [name, code] of Object.entries(codes)) {
  process.on(name, () => {
    if (controller.signal.aborted) process.exit(code);
    controller.abort(name);
    process.exitCode = code;
    setTimeout(() => process.exit(code), 800).unref();
  });
}

const code = await main(process.argv, { ...processIo, signal: controller.signal });
process.exitCode = controller.signal.aborted ? codes[controller.signal.reason] : code;
