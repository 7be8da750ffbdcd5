import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import type { CredentialIO, Env, HelperOutput } from "./types.ts";

/** A helper that has not answered in this long is stuck (e.g. waiting on a keychain prompt). */
const HELPER_TIMEOUT_MS = 60_000;

/** The real environment, file system and processes. */
export function defaultCredentialIO(): CredentialIO {
  return { env: process.env, readFile: readFileIfExists, homeDir: homedir, runHelper: runHelperProcess };
}

async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

async function runHelperProcess(
  program: string,
  args: readonly string[],
  input: string,
  env: Env,
): Promise<HelperOutput> {
  // Loaded on first use: most runs never start a credential helper, and execa is a large module tree.
  const { execa } = await import("execa");
  const result = await execa(program, args, {
    input,
    env,
    extendEnv: false,
    reject: false,
    timeout: HELPER_TIMEOUT_MS,
    stripFinalNewline: false,
  });
  if (result.exitCode !== undefined && !result.timedOut) {
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  }
  // execa's own message quotes the process's output, which may be a credential: build one that does not.
  const reason = result.timedOut
    ? `timed out after ${HELPER_TIMEOUT_MS / 1000}s`
    : result.signal
      ? `was killed by ${result.signal}`
      : (result.originalMessage ?? "could not be started");
  throw Object.assign(new Error(reason), { code: result.code });
}
