import { readFile } from "node:fs/promises";
import { inputError } from "@polyarch/oci/errors";

/** Reads a spec file the user named; a missing or unreadable one is bad input (exit 2) saying what was expected. */
export async function readSpecFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    throw inputError("POLYARCH_E_BAD_SPEC", `${file} cannot be read`, `give the path of ${what}`);
  }
}
