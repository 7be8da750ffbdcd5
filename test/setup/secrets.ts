// Runs in every test file (vitest setupFiles): after each test, fails it when anything captured from
// polyarch holds a password or token the harness handed out; after the file, adds its count of scanned
// outputs to the run's tally, which secrets-global.ts prints at the end.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { takeSecretLeaks } from "@polyarch/test-harness";
import { afterAll, afterEach, inject } from "vitest";

const before = takeSecretLeaks();

afterEach(() => {
  const { leaks } = takeSecretLeaks();
  if (leaks.length > 0) {
    const lines = leaks.map((leak) => `  ${leak.secret} in ${leak.where}`);
    throw new Error(`a secret the harness handed out reached polyarch's output:\n${lines.join("\n")}`);
  }
});

afterAll(() => {
  const after = takeSecretLeaks();
  const scanned = after.scanned - before.scanned;
  if (scanned === 0) return;
  const tally = join(inject("secretTallyDir"), `${randomUUID()}.json`);
  writeFileSync(tally, JSON.stringify({ scanned, secrets: after.secrets - before.secrets }));
});
