import { errorCatalogue, isPolyarchError } from "@polyarch/errors";
import fc from "fast-check";
import { afterAll, expect } from "vitest";
import { addToTally } from "../setup/tally.ts";

/** Generated cases per property: enough to find edge cases, small enough for seconds per file. */
export const RUNS = 400;

let cases = 0;
afterAll(() => addToTally({ propertyCases: cases }));

/** fc.assert with a case count for the run's tally (printed at the end by test/setup/tally-global.ts). */
export function holds<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, runs = RUNS): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      cases++;
      predicate(value);
    }),
    { numRuns: runs },
  );
}

/**
 * Runs `parse(input)`: it returns a value, or throws polyarch's typed input error (kind "input", a
 * catalogued code, a message without a stack trace). Anything else fails the property.
 */
export function valueOrInputError<T>(
  parse: () => T,
): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: parse() };
  } catch (error: unknown) {
    if (!isPolyarchError(error)) throw new Error(`not a PolyarchError: ${String(error)}`, { cause: error });
    expect(errorCatalogue[error.code].kind).toBe("input");
    // One line: a newline or control character the user typed is quoted, never printed raw.
    const firstLine = error.message.split("\n")[0] ?? "";
    expect([...firstLine].some((char) => char < " ")).toBe(false);
    return { ok: false, message: error.message };
  }
}

/** Text people type, biased towards the characters references, platforms and specs are made of. */
export const typed = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(..."abz09:/@._-{}ARCHOSVARIANT \t\n#*"), maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);
