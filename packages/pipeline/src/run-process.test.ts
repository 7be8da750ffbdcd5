import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runProcess } from "./run-process.ts";

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
/** True while `pid` runs (a zombie has ended: it only waits for init to reap it). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat !== undefined && !/^\d+ \(.*\) Z /s.test(stat);
}

const scrub = (text: string) => text.replaceAll("hunter2", "***");

describe("runProcess", () => {
  it("gives the exit code and the last lines, scrubbed, and logs every line scrubbed", async () => {
    const logged: string[] = [];
    const result = await runProcess(
      {
        name: "sh",
        program: "sh",
        args: ["-c", 'for i in $(seq 1 30); do echo "line $i"; done; echo "password hunter2" >&2; exit 3'],
        env: {},
      },
      { env, log: (line) => logged.push(line), scrub },
    );
    expect(result.exitCode).toBe(3);
    expect(result.tail).toHaveLength(20);
    expect(result.tail.at(-1)).toBe("password ***");
    expect(logged).toHaveLength(31);
    expect(logged.join("\n")).not.toContain("hunter2");
  });

  it("adds the invocation's variables to the environment it is given, and nothing else", async () => {
    const logged: string[] = [];
    await runProcess(
      {
        name: "sh",
        program: "sh",
        args: ["-c", 'echo "$DOCKER_CONFIG/$HOME"'],
        env: { DOCKER_CONFIG: "/tmp/auth" },
      },
      { env, log: (line) => logged.push(line), scrub },
    );
    expect(logged).toEqual(["/tmp/auth/"]);
  });

  it("ends the whole process group when the timeout passes", async () => {
    const result = await runProcess(
      { name: "sh", program: "sh", args: ["-c", "sleep 30 & echo started $!; wait"], env: {} },
      { env, log: () => {}, scrub, timeoutMs: 300 },
    );
    expect(result.exitCode).toBeUndefined();
    expect(result.failure).toMatch(/timed out/);
    const pid = Number(result.tail[0]?.split(" ")[1]);
    // The background sleep was in the group: it has ended by the time the run resolves.
    expect(await running(pid)).toBe(false);
  });

  it("stops the whole group when its signal fires, and resolves only once the group is gone", async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const run = runProcess(
      { name: "sh", program: "sh", args: ["-c", "sleep 30 & echo started $!; wait"], env: {} },
      {
        env,
        scrub,
        signal: controller.signal,
        log: (line) => {
          pids.push(Number(line.split(" ")[1]));
          controller.abort("SIGTERM");
        },
      },
    );
    const result = await run;
    expect(result).toMatchObject({ exitCode: undefined, failure: "was stopped" });
    expect(pids).toHaveLength(1);
    expect(await running(pids[0] as number)).toBe(false);
  });

  it("does not start when its signal has already fired", async () => {
    const controller = new AbortController();
    controller.abort("SIGINT");
    const logged: string[] = [];
    const result = await runProcess(
      { name: "sh", program: "sh", args: ["-c", "echo ran"], env: {} },
      { env, scrub, signal: controller.signal, log: (line) => logged.push(line) },
    );
    expect(result).toMatchObject({ exitCode: undefined, failure: "was not started" });
    expect(logged).toEqual([]);
  });

  it("stops what the program left running in its group when it exits, and keeps its exit code", async () => {
    const result = await runProcess(
      { name: "sh", program: "sh", args: ["-c", "sleep 30 & echo started $!; exit 0"], env: {} },
      { env, log: () => {}, scrub },
    );
    expect(result.exitCode).toBe(0);
    expect(await running(Number(result.tail[0]?.split(" ")[1]))).toBe(false);
  });

  it("says a program that is not installed could not be started", async () => {
    const result = await runProcess(
      { name: "nope", program: "polyarch-no-such-builder", args: [], env: {} },
      { env, log: () => {}, scrub },
    );
    expect(result.exitCode).toBeUndefined();
    expect(result.failure).toMatch(/ENOENT|not found|could not be started/i);
  });
});
