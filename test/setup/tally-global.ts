// vitest globalSetup: gives every test file a directory for its figures (see tally.ts) and prints the
// run's totals when it ends: outputs of polyarch scanned for the harness's secrets, property cases.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    tallyDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "polyarch-tally-"));
  project.provide("tallyDir", dir);
  return () => {
    const totals: Record<string, number> = { outputsScanned: 0, secrets: 0, propertyCases: 0, files: 0 };
    for (const name of readdirSync(dir)) {
      const figures = JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, number>;
      for (const [key, value] of Object.entries(figures)) totals[key] = (totals[key] ?? 0) + value;
      totals.files = (totals.files ?? 0) + 1;
    }
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(
      `secret scan: ${totals.outputsScanned} outputs from polyarch checked against ${totals.secrets} harness secrets; no leak\n` +
        `property tests: ${totals.propertyCases} generated cases\n` +
        `fault matrix: ${totals.matrixCells ?? 0} cells: ${totals.matrixSuccessAfterRetry ?? 0} successes after retry, ` +
        `${totals.matrixNotReached ?? 0} successes with the fault not reached, ${totals.matrixCleanFailures ?? 0} clean failures ` +
        `(each re-run finished), ${totals.matrixPartial ?? 0} partial results\n`,
    );
  };
}
