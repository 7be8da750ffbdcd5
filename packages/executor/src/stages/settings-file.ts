import { readFile } from "node:fs/promises";
import { type ExecutorSettings, parseSettings, unreadableSettings } from "../settings.ts";

export async function loadSettings(file: string): Promise<ExecutorSettings> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error: unknown) {
    throw unreadableSettings(file, error);
  }
  return parseSettings(text, file);
}

export async function readJobResponse(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const file = env.JOB_RESPONSE_FILE;
  if (!file) return undefined;
  return readFile(file, "utf8");
}
