import { Writable } from "node:stream";
import { PolyarchError } from "@polyarch/errors";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, exitCodeOf, reportError } from "./exit.ts";
import { main } from "./main.ts";
import { itemsOutcome, outcomeRecorder } from "./outcome.ts";
import type { Io } from "./output.ts";

const SIGNED = "https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=s3cr3tsig&X-Amz-Date=1";
const USERINFO = "bob:hunter22@registry.example.com/app:1";
const BEARER = "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl";
const SECRETS = /s3cr3tsig|hunter22|eyJhbGciOiJFUzI1NiJ9/;

function capture(env: NodeJS.ProcessEnv = {}): { io: Io; output: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      parts.push(String(chunk));
      done();
    },
  });
  return { io: { stdout: stream, stderr: stream, env, cwd: "/" }, output: () => parts.join("") };
}

function report(error: unknown, env: NodeJS.ProcessEnv = {}): { code: number; stderr: string } {
  const { io, output } = capture(env);
  const code = reportError(error, io);
  return { code, stderr: output() };
}

describe("outcomes", () => {
  it("turn into 0, 3 and 1: all items done, some failed, all failed", () => {
    expect([itemsOutcome(0, 4), itemsOutcome(1, 4), itemsOutcome(4, 4), itemsOutcome(0, 0)]).toEqual([
      "succeeded",
      "partial",
      "failed",
      "succeeded",
    ]);
    expect(["succeeded", "partial", "failed"].map((o) => exitCodeOf(o as "partial"))).toEqual([
      EXIT_OK,
      EXIT_PARTIAL,
      EXIT_FAILED,
    ]);
  });

  it("reach main from the action that ran; an action that returns nothing succeeded", async () => {
    const { act, outcome } = outcomeRecorder();
    await act(async (n: number) => (n > 1 ? "partial" : undefined))(2);
    expect(outcome()).toBe("partial");
    await act(async () => undefined)();
    expect(outcome()).toBe("succeeded");
  });
});

describe("reportError", () => {
  it("maps input errors to 2 and operation errors to 1, with message and hint", () => {
    expect(report(new PolyarchError("POLYARCH_E_BAD_FLAG", "bad --x", { hint: "use --y" }))).toEqual({
      code: EXIT_BAD_INPUT,
      stderr: "polyarch: bad --x\nhint: use --y\n",
    });
    expect(report(new PolyarchError("POLYARCH_E_NETWORK", "down")).code).toBe(EXIT_FAILED);
    expect(report(new CommanderError(0, "help", "")).code).toBe(EXIT_OK);
    expect(report(new CommanderError(1, "x", "")).code).toBe(EXIT_BAD_INPUT);
  });

  it("masks secrets in a PolyarchError's message, hint and (with POLYARCH_DEBUG) cause", () => {
    const error = new PolyarchError("POLYARCH_E_NETWORK", `GET ${SIGNED} failed for "${USERINFO}"`, {
      hint: `retry with ${BEARER}`,
      cause: new Error(`socket hang up at ${SIGNED}`),
    });
    const { code, stderr } = report(error, { POLYARCH_DEBUG: "1" });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).not.toMatch(SECRETS);
    expect(stderr).toContain("X-Amz-Signature=***&X-Amz-Date=1");
    expect(stderr).toContain('"***@registry.example.com/app:1"');
    expect(stderr).toContain("hint: retry with Authorization: Bearer ***");
    expect(stderr).toContain("cause: socket hang up at https://bucket.s3.amazonaws.com/blob?");
  });

  it("masks secrets in an internal error's message and (with POLYARCH_DEBUG) its stack", () => {
    const error = new TypeError(`fetch failed: ${SIGNED} (${USERINFO}) ${BEARER}`);
    const { code, stderr } = report(error, { POLYARCH_DEBUG: "1" });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toContain("polyarch: internal error: fetch failed: https://bucket.s3.amazonaws.com/");
    expect(stderr).toContain("TypeError: fetch failed");
    expect(stderr).not.toMatch(SECRETS);
    expect(report(`thrown ${SIGNED}`).stderr).not.toMatch(SECRETS);
  });
});

describe("polyarch inspect with credentials in the reference", () => {
  it("exits 2 without echoing the password", async () => {
    const { io, output } = capture({
      REGISTRY_AUTH_FILE: "/nonexistent/polyarch-test-auth.json",
      DOCKER_CONFIG: "/nonexistent/polyarch-test-docker",
    });
    const code = await main(["node", "polyarch", "inspect", USERINFO], io);
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(output()).not.toContain("hunter22");
    expect(output()).toContain('"***@registry.example.com/app:1"');
    expect(output()).toContain("--username/--password");
  });
});
