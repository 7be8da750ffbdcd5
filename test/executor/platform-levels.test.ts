import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jobImage, pushJobIndex, UNAME } from "./support/images.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// The host's CPU is given to the executor (POLYARCH_TEST_CPUINFO), so the case is the same on any
// amd64 machine, whatever its real level. The flags are x86-64-v2's, in Linux's cpuinfo words.
const V2_FLAGS = "fpu cx8 cmov mmx fxsr sse sse2 syscall cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3";
const V2_CPUINFO = `processor\t: 0\nflags\t\t: ${V2_FLAGS}\n\nprocessor\t: 1\nflags\t\t: ${V2_FLAGS}\n`;

/**
 * The case for this host's architecture. amd64: the executor is told the CPU is x86-64-v2. arm64: the
 * host is arm64/v8, as containerd reads it too (no finer variant is detected), so v8.2 and v9 need more.
 */
const native =
  process.arch === "arm64"
    ? { arch: "arm64" as const, host: "linux/arm64", above: ["v8.2", "v9"], below: [], runs: undefined }
    : { arch: "amd64" as const, host: "linux/amd64/v2", above: ["v4", "v3"], below: [undefined], runs: "v2" };
const uname = UNAME[native.arch];
const image = (variant: string | undefined) =>
  jobImage({ arch: native.arch, ...(variant !== undefined && { variant }) });

let registry: Registry;
let host: RunnerHost;

beforeAll(async () => {
  registry = await startRegistry();
  host = await startRunnerHost({}, { env: (dir) => ({ POLYARCH_TEST_CPUINFO: join(dir, "cpuinfo") }) });
  await writeFile(join(host.dir, "cpuinfo"), V2_CPUINFO, { mode: 0o644 });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("the index child the host's CPU runs", { timeout: JOB_TIMEOUT_MS }, () => {
  test("children of a level above the host's, listed first, are skipped for the best one it runs", async () => {
    const above = await Promise.all(native.above.map(image));
    const below = await Promise.all(native.below.map(image));
    const runs = await image(native.runs);
    const reference = await pushJobIndex(registry, "levels", "1", [...above, ...below, runs]);
    const run = await host.runJob({ id: 901, image: reference, script: ["uname -m"] });
    expect(run.result).toBe("success");
    expect(run.log).toContain(runs.manifest.digest);
    for (const other of [...above, ...below]) expect(run.log).not.toContain(other.manifest.digest);
    expect(run.log).toContain(`pulling ${reference} for ${native.host}`);
    expect(run.log).toContain(`\n${uname}\n`);
  });

  test("an index of levels above the host's only is a system failure naming them", async () => {
    const reference = await pushJobIndex(registry, "levels", "2", await Promise.all(native.above.map(image)));
    const run = await host.runJob({ id: 902, image: reference, script: ["uname -m"] });
    expect(run.result).toBe("system_failure");
    const offered = native.above.map((variant) => `linux/${native.arch}/${variant}`).join(", ");
    expect(run.log).toContain(`cannot run on this ${native.host} host: its index offers ${offered}`);
  });
});
