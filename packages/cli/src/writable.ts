import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PolyarchError } from "@polyarch/errors";

/** Refuses an unwritable output file before anything is pushed, not after the tag has moved. */
export async function checkWritable(file: string, flag: string): Promise<void> {
  const directory = dirname(resolve(file));
  try {
    if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new Error("is a directory");
    await access(directory, constants.W_OK);
  } catch {
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", `${flag} ${file} cannot be written`, {
      hint: `give a file path in an existing, writable directory (${directory} is not)`,
    });
  }
}
