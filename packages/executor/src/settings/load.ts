import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { PolyarchError } from "@polyarch/errors";
import { type ExecutorSettings, parseSettings, type SettingsReader } from "./settings.ts";

/** Where the executor reads its settings when `--settings` is not given. */
export const DEFAULT_SETTINGS_PATH = "/etc/polyarch/executor.yaml";

/** The process that runs the executor, as the settings' defaults see it. */
export function processReader(env: Readonly<Record<string, string | undefined>>): SettingsReader {
  return { uid: process.getuid?.() ?? 0, env, home: env.HOME || homedir() };
}

/**
 * Reads and validates the settings (POLYARCH_E_BAD_SPEC when they cannot be read or are invalid). With no
 * `file` (no `--settings`), `/etc/polyarch/executor.yaml`; when that does not exist, every default, so a
 * new user needs no file at all. A file named with `--settings` must exist.
 */
export async function loadSettings(
  file: string | undefined,
  reader: SettingsReader = processReader(process.env),
): Promise<ExecutorSettings> {
  const path = file ?? DEFAULT_SETTINGS_PATH;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error: unknown) {
    if (file === undefined && (error as { code?: unknown }).code === "ENOENT") text = "";
    else throw unreadableSettings(path, error);
  }
  return parseSettings(text, path, reader);
}

/** The settings file could not be read at all. */
function unreadableSettings(file: string, cause: unknown): PolyarchError {
  const code = (cause as { code?: unknown } | null)?.code;
  const hint =
    code === "ENOENT"
      ? `create ${file} (an empty file takes every default), or leave out --settings to take the defaults`
      : `let the runner's user read ${file}, or pass --settings <file>`;
  return new PolyarchError(
    "POLYARCH_E_BAD_SPEC",
    `the executor settings file ${file} cannot be read${typeof code === "string" ? ` (${code})` : ""}`,
    { hint, cause },
  );
}
