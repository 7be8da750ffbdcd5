import { execFile } from "node:child_process";
import { mkdir, readFile, utimes } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LayoutStore } from "@polyarch/oci";
import { tempDir } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";

const writer = fileURLToPath(new URL("../support/layout-writer.ts", import.meta.url));
const run = promisify(execFile);

/** Starts the writer as its own Node process, on the sources (like the tests), and waits for it. */
function writeTags(dir: string, prefix: string, count: number) {
  return run(process.execPath, ["--conditions=polyarch-source", writer, dir, prefix, String(count)]);
}

describe("one OCI layout written by several processes at once", () => {
  it("keeps every tag of both processes and a whole index.json", async () => {
    const dir = await tempDir();
    try {
      await Promise.all([writeTags(dir.path, "a", 40), writeTags(dir.path, "b", 40)]);
      const index = JSON.parse(await readFile(join(dir.path, "index.json"), "utf8"));
      expect(index.manifests).toHaveLength(80);
      const tags = (await new LayoutStore(dir.path).listTags()).sort();
      const expected = ["a", "b"].flatMap((p) => Array.from({ length: 40 }, (_, i) => `${p}-${i}`));
      expect(tags).toEqual(expected.sort());
      // The lock is released: nothing of it is left in the layout.
      await expect(readFile(join(dir.path, ".polyarch.lock"))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await dir.remove();
    }
  });

  it("takes over a lock that a killed process left behind once it is stale", async () => {
    const dir = await tempDir();
    try {
      await writeTags(dir.path, "first", 1);
      const lock = join(dir.path, ".polyarch.lock");
      await mkdir(lock);
      const aMinuteAgo = new Date(Date.now() - 60_000);
      await utimes(lock, aMinuteAgo, aMinuteAgo);
      await writeTags(dir.path, "after-crash", 1);
      expect((await new LayoutStore(dir.path).listTags()).sort()).toEqual(["after-crash-0", "first-0"]);
    } finally {
      await dir.remove();
    }
  });
});
