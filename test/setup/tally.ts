import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";

/**
 * Adds one test file's figures (outputs scanned for secrets, generated property cases) to the run's
 * tally; test/setup/tally-global.ts sums the files and prints the totals when the run ends.
 */
export function addToTally(figures: Record<string, number>): void {
  if (Object.values(figures).every((value) => value === 0)) return;
  writeFileSync(join(inject("tallyDir"), `${randomUUID()}.json`), JSON.stringify(figures));
}
