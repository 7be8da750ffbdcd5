import { readFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";

/** Reads a spec file the user named; a missing or unreadable one is bad input (exit 2) saying what was expected. */
export async function readSpecFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    throw new PolyarchError("POLYARCH_E_BAD_SPEC", `${file} cannot be read`, {
      hint: `give the path of ${what}`,
    });
  }
}
