// vitest globalSetup: gives every test file a directory for its secret-scan tally (see secrets.ts) and,
// when the run ends, prints how many outputs were scanned for the harness's passwords and tokens.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    secretTallyDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "polyarch-secret-tally-"));
  project.provide("secretTallyDir", dir);
  return () => {
    let scanned = 0;
    let secrets = 0;
    let files = 0;
    for (const name of readdirSync(dir)) {
      const tally = JSON.parse(readFileSync(join(dir, name), "utf8")) as { scanned: number; secrets: number };
      scanned += tally.scanned;
      secrets += tally.secrets;
      files++;
    }
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(
      `secret scan: ${scanned} outputs from polyarch checked against ${secrets} harness secrets in ${files} test files; no leak\n`,
    );
  };
}
