import { main } from "../main.ts";
import { processIo } from "../output.ts";

// The process entry of the `polyarch` binary, bundled to dist/bin/polyarch.cjs (scripts/bundle.ts) and
// loaded by bin/polyarch.js.

// A closed pipe (`polyarch inspect … | head`) ends output quietly, as for any Unix tool.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// Streamed chunks are Buffers whose bytes live outside the JS heap, and V8 frees them only when it collects
// the young generation, which a stream of 64 KiB chunks fills slowly (little JS is allocated per chunk): a
// 512 MiB copy held ~20 MiB of dead chunks (arrayBuffers, sampled). A minor collection every 10 ms keeps
// that under ~8 MiB; each takes a fraction of a millisecond on a 1 MiB young generation. The launcher
// passes --expose-gc; run without it (`node dist/bin/polyarch.cjs`), nothing is scheduled.
const collect = (globalThis as { gc?: (options: { type: "minor" }) => void }).gc;
if (collect) setInterval(() => collect({ type: "minor" }), 10).unref();

// A cancelled CI job gets SIGTERM (Ctrl-C is SIGINT): the command stops writing at once (no tag after
// the signal, open uploads cancelled) and exits 128 + the signal's number, as a shell reports it. It
// exits when the command has stopped, not on a timer: registry requests end at once, an upload's
// cancellation takes 500 ms at most, and a builder's process group has 10 s to end before SIGKILL,
// which polyarch waits for, then removes the build's private directory (its auth file). A second
// signal exits at once; the builder's group is killed and the private directory removed on the way out.
const controller = new AbortController();
const codes = { SIGINT: 130, SIGTERM: 143 } as const;
for (const [name, code] of Object.entries(codes)) {
  process.on(name, () => {
    if (controller.signal.aborted) process.exit(code);
    controller.abort(name);
    process.exitCode = code;
  });
}

main(process.argv, { ...processIo, signal: controller.signal }).then((code) => {
  process.exitCode = controller.signal.aborted ? codes[controller.signal.reason as keyof typeof codes] : code;
});
