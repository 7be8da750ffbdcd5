import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { cgroup2Mount } from "../host/cgroup.ts";
import { makeJobCgroup, readRecordedCgroup, removeJobCgroup } from "./job-cgroup.ts";

// Real cgroups: this test makes them on the host's cgroup v2 mount, so it runs as root (as the executor
// tests in test/executor do) and fails, saying why, on a host without cgroup v2.
async function mountAsRoot(): Promise<string> {
  if (process.getuid?.() !== 0)
    throw new Error("this test makes cgroups on the host's cgroup v2: run it as root");
  const mount = await cgroup2Mount();
  if (mount === undefined) throw new Error("no cgroup v2 hierarchy is mounted on this host");
  return mount;
}

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) {
    await writeFile(join(dir, "cgroup.kill"), "1").catch(() => undefined);
    for (let tries = 0; tries < 500; tries += 1) {
      const events = await readFile(join(dir, "cgroup.events"), "utf8").catch(() => "populated 0");
      if (events.includes("populated 0")) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await rmdir(dir).catch(() => undefined);
  }
});

/** A cgroup with a shell in it that starts `sleep`s, one of them detached twice over (its parent gone). */
async function cgroupWithProcesses(): Promise<{ dir: string; pids: () => Promise<number[]> }> {
  const dir = join(await mountAsRoot(), `polyarch-job-unit-${randomBytes(4).toString("hex")}`);
  await mkdir(dir);
  made.push(dir);
  const child = spawn(
    "/bin/sh",
    [
      "-c",
      'echo $$ > "$1" || exit 1; (sleep 31501 &); sleep 31502 & wait',
      "join",
      join(dir, "cgroup.procs"),
    ],
    { stdio: "ignore", detached: true },
  );
  child.unref();
  const pids = async () =>
    (await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map(Number);
  // Waiting for the sleeps to start, not measuring anything.
  for (let tries = 0; tries < 500 && (await pids()).length < 3; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { dir, pids };
}

describe("removeJobCgroup", () => {
  for (const cgroupKill of [true, false]) {
    test(`kills every process of the cgroup, a detached one too, and removes it (${cgroupKill ? "cgroup.kill" : "signals, as before Linux 5.14"})`, async () => {
      const { dir, pids } = await cgroupWithProcesses();
      const before = await pids();
      expect(before.length).toBeGreaterThanOrEqual(3);
      await removeJobCgroup(dir, { cgroupKill });
      await expect(access(dir)).rejects.toThrow();
      for (const pid of before) {
        const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
        // Gone, or a zombie its parent has not reaped yet.
        expect(stat === "" || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z"), stat).toBe(true);
      }
    });
  }

  test("leaves alone a cgroup that is already gone", async () => {
    await expect(
      removeJobCgroup(join(await mountAsRoot(), "polyarch-job-never-made")),
    ).resolves.toBeUndefined();
  });
});

describe("makeJobCgroup", () => {
  test("refuses a job cgroup that already exists, and forgets it, so the job's cleanup leaves it alone", async () => {
    // mkdir is all it does without limits: a plain directory stands in for the delegated cgroup.
    const parent = await mkdtemp(join(tmpdir(), "polyarch-delegated-"));
    try {
      const other = join(parent, "polyarch-job-runner-7-job-1-0");
      await mkdir(other);
      const record = join(parent, "cgroup-record");
      const plan = { parent, enable: [], files: [] };
      await expect(
        makeJobCgroup(plan, "runner-7-job-1-0", record, { stdout: process.stdout }),
      ).rejects.toThrow(`could not make the job's cgroup ${other}`);
      expect(await readRecordedCgroup(record)).toBeUndefined();
      await access(other);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
