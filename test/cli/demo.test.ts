import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { skopeoInspectRaw, tempDir } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";

describe("polyarch demo", () => {
  it("builds two images into an OCI layout, merges them, and a re-run changes nothing", async () => {
    const dir = await tempDir("polyarch-demo-");
    try {
      const first = await polyarch(["demo", "--dir", dir.path]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("merged them (created)");
      expect(first.stdout).toMatch(/├── linux\/amd64 +sha256:/);
      expect(first.stdout).toMatch(/└── linux\/arm64 +sha256:/);
      expect(first.stdout).toMatch(/platform +linux\/arm64/);

      // skopeo, an independent reader of OCI layouts, sees the same index with both platforms.
      const raw = JSON.parse((await skopeoInspectRaw(`oci:${dir.path}:demo`)).toString()) as {
        mediaType: string;
        manifests: Array<{ platform: { architecture: string } }>;
      };
      expect(raw.mediaType).toBe("application/vnd.oci.image.index.v1+json");
      expect(raw.manifests.map((m) => m.platform.architecture)).toEqual(["amd64", "arm64"]);
      const rawBytes = await skopeoInspectRaw(`oci:${dir.path}:demo`);
      const inspect = await polyarch(["inspect", "--raw", `oci:${dir.path}:demo`]);
      expect(inspect.stdoutBytes.equals(rawBytes)).toBe(true);
      // The digest printed is the index's, hashed here from the bytes skopeo read.
      const indexDigest = `sha256:${createHash("sha256").update(rawBytes).digest("hex")}`;
      expect(first.stdout).toContain(`${indexDigest} (OCI image index`);

      const indexJson = await readFile(join(dir.path, "index.json"));
      const second = await polyarch(["demo", "--dir", dir.path]);
      // A re-run changes nothing: not the index, not the layout's index.json.
      expect((await readFile(join(dir.path, "index.json"))).equals(indexJson)).toBe(true);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("merged them (unchanged)");
      expect(second.stdout).toContain(`${indexDigest} (OCI image index`);
    } finally {
      await dir.remove();
    }
  });
});
