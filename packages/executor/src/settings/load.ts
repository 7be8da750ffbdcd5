import { readFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/oci/errors";
import { type ExecutorSettings, parseSettings } from "./settings.ts";

/** Where the executor reads its settings when `--settings` is not given. */
export const DEFAULT_SETTINGS_PATH = "/etc/polyarch/executor.yaml";

/** Reads and validates the settings file (POLYARCH_E_BAD_SPEC when it cannot be read or is invalid). */
export async function loadSettings(file: string = DEFAULT_SETTINGS_PATH): Promise<ExecutorSettings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error: unknown) {
    throw unreadableSettings(file, error);
  }
  return parseSettings(text, file);
}

/** The settings file could not be read at all. */
function unreadableSettings(file: string, cause: unknown): PolyarchError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new PolyarchError(
    "POLYARCH_E_BAD_SPEC",
    `the executor settings file ${file} cannot be read${typeof code === "string" ? ` (${code})` : ""}`,
    { hint: "create it (an empty file takes every default) or pass --settings <file>", cause },
  );
}
