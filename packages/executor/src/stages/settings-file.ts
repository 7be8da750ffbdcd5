import { readFile } from "node:fs/promises";
import { type ExecutorSettings, parseSettings, unreadableSettings } from "../settings.ts";

/** Reads and validates the settings file (POLYARCH_E_BAD_SPEC when it cannot be read or is invalid). */
export async function loadSettings(file: string): Promise<ExecutorSettings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error: unknown) {
    throw unreadableSettings(file, error);
  }
  return parseSettings(text, file);
}
