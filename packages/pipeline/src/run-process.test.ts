import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runProcess } from "./run-process.ts";

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
/** Waits for `pid` to end (gone, or a zombie); false if it still runs after `ms`. */
async function endsWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined || / Z /.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
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
    // The background sleep was in the group: it ends too (a zombie until init reaps it, or gone).
    expect(await endsWithin(pid, 5000)).toBe(true);
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
