// Runs in every test file (vitest setupFiles): after each test, fails it when anything captured from
// polyarch holds a password or token the harness handed out; after the file, adds its count of scanned
// outputs to the run's tally, which tally-global.ts prints at the end.
import { takeSecretLeaks } from "@polyarch/test-harness";
import { afterAll, afterEach } from "vitest";
import { addToTally } from "./tally.ts";

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
  addToTally({ outputsScanned: after.scanned - before.scanned, secrets: after.secrets - before.secrets });
});
