import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  captureOutput,
  registerSecret,
  startRegistry,
  takeSecretLeaks,
  tempDir,
} from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { outputPaths, polyarch } from "../support/cli.ts";

describe("the run-wide secret check", () => {
  it("finds a registered password, its Basic form and a JWT's signature, and masks them", () => {
    takeSecretLeaks();
    registerSecret("correct-horse-battery", "alice");
    registerSecret("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU");
    const basic = Buffer.from("alice:correct-horse-battery").toString("base64");
    captureOutput("stderr of a test", `Authorization: Basic ${basic}`);
    captureOutput("stdout of a test", "token c2lnbmF0dXJlLWJ5dGVzLWhlcmU was cut short");
    captureOutput("a clean output", "nothing to see");
    const { leaks } = takeSecretLeaks();
    expect(leaks.map((leak) => leak.where)).toEqual(["stderr of a test", "stdout of a test"]);
    expect(JSON.stringify(leaks)).not.toContain("correct-horse");
    expect(leaks[0]?.secret).toBe(`${basic.slice(0, 2)}… (${basic.length} characters)`);
  });

  it("scans what polyarch wrote, not only what it printed", async () => {
    const registry = await startRegistry({ auth: "basic" });
    const dir = await tempDir();
    try {
      takeSecretLeaks();
      const run = await polyarch(["inspect", `${registry.host}/none:missing`, "--digest-file", "x"]);
      expect(run.code).not.toBe(0);
      // A file the run names as its output is scanned like its streams: plant the password in one.
      await writeFile(join(dir.path, "index.json"), `{"leak":"${registry.password}"}`);
      await polyarch(["inspect", `oci:${dir.path}:none`]);
      const { leaks } = takeSecretLeaks();
      expect(leaks.map((leak) => leak.where)).toEqual([join(dir.path, "index.json")]);
    } finally {
      await dir.remove();
      await registry.stop();
    }
  });

  it("knows which arguments name outputs", () => {
    expect(
      outputPaths([
        "merge",
        "--digest-file",
        "d.txt",
        "--target",
        "oci:/tmp/l:v1",
        "--out=r",
        "--dotenv",
        "b.env",
      ]),
    ).toEqual(["d.txt", "/tmp/l", "r", "b.env"]);
  });
});
