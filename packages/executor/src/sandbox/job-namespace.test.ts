import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { readRecordedNamespace, startJobNamespace, stopJobNamespace } from "./job-namespace.ts";

// A real holder (unshare, a user and a network namespace of its own), with a stand-in for pasta that
// comes up only when the test lets it (its command line keeps its arguments, as pasta's does): what is
// recorded while pasta is not up yet is what a cleanup after a prepare killed at that moment would find.
const PASTA_STAND_IN = `#!/bin/sh
[ "$1" = --version ] && { echo "pasta stand-in"; exit 0; }
while [ "$#" -gt 0 ]; do [ "$1" = --pid ] && pid="$2"; shift; done
while [ ! -e "\${pid%/*}/let-pasta-start" ]; do sleep 0.05; done
echo $$ > "$pid"
while :; do sleep 1; done
`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  // A wait for the holder to start, not a measure of it.
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what} did not happen within 10 s`);
}

describe("a job's namespaces", () => {
  test("with one uid and network: isolated are recorded as soon as the holder runs, before pasta is up, then whole; stopping them ends the holder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polyarch-job-namespace-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "pasta"), PASTA_STAND_IN);
    await chmod(join(dir, "pasta"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    cleanups.push(async () => {
      process.env.PATH = path;
    });
    const recordFile = join(dir, "namespace.json");

    const starting = startJobNamespace({
      dir,
      ids: undefined,
      connector: "pasta",
      hostPorts: [],
      recordFile,
    });
    cleanups.push(async () => {
      await writeFile(join(dir, "let-pasta-start"), "");
      const started = await starting.catch(() => undefined);
      if (started) await stopJobNamespace(started);
    });
    const early = await until("the holder's record", () => readRecordedNamespace(recordFile));
    expect(early).toMatchObject({ holderPid: expect.any(Number), isolated: true });
    expect(await readFile(`/proc/${early.holderPid}/cmdline`, "utf8")).toContain(
      "polyarch-job-namespace-holder",
    );
    await expect(readFile(join(dir, "pasta.pid"), "utf8")).rejects.toThrow();
    // pasta is recorded as soon as it runs, before it is up: a cleanup then stops it too.
    const whileStarting = await until(
      "pasta's record",
      async () => (await readRecordedNamespace(recordFile))?.connector,
    );
    expect(whileStarting.kind).toBe("pasta");
    expect(await readFile(`/proc/${whileStarting.pid}/cmdline`, "utf8")).toContain(`${dir}/pasta`);

    await writeFile(join(dir, "let-pasta-start"), "");
    const started = await starting;
    expect(started.holderPid).toBe(early.holderPid);
    expect(await readRecordedNamespace(recordFile)).toEqual(started);
    expect(started.connector).toEqual({
      kind: "pasta",
      pid: Number((await readFile(join(dir, "pasta.pid"), "utf8")).trim()),
    });
    expect(started.resolvConf).toBe(join(dir, "resolv.conf"));

    // A one-uid holder is found by its name too: stopping the namespaces ends it and pasta.
    await stopJobNamespace(started);
    const running = async (pid: number) =>
      (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")) !== "";
    await until("the holder's and pasta's end", async () =>
      (await running(started.holderPid)) || (await running(started.connector?.pid as number))
        ? undefined
        : true,
    );
  });

  test("whose holder cannot start fail at once with the holder's own words, not newuidmap's", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polyarch-job-namespace-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const missing = join(dir, "no-such-cgroup");
    const ids = { uids: { start: 100000, count: 65536 }, gids: { start: 100000, count: 65536 } };
    await expect(
      startJobNamespace({ dir, ids, connector: undefined, hostPorts: [], cgroup: missing }),
    ).rejects.toThrow(new RegExp(`^the job's namespaces did not come up: .*${missing}/cgroup\\.procs`));
  });
});
