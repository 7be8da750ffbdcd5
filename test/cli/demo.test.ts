import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { skopeoInspectRaw, tempDir } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import { runPolyarch } from "../support/process.ts";

describe("polyarch demo", () => {
  // Real parts: CNCF distribution on loopback, Buildah (the arm64 build emulated), polyarch merge --from-env.
  it("builds each platform with polyarch build, merges by digest into an OCI layout, and a re-run changes nothing", async () => {
    const dir = await tempDir("polyarch-demo-");
    try {
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path };
      // The demo as it ships: a process from the built launcher (its only process-level run).
      const first = await runPolyarch(["demo", "--dir", dir.path], { env });
      expect(first.stderr).not.toContain("polyarch:");
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("polyarch build (buildah): linux/amd64, natively");
      expect(first.stdout).toContain("polyarch build (buildah): linux/arm64, emulated");
      expect(first.stdout).toContain("merged by digest (created)");
      expect(first.stdout).toContain(`copied to oci:${dir.path}:demo (created)`);
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
      const second = await runPolyarch(["demo", "--dir", dir.path], { env });
      // A re-run changes nothing: not the index, not the layout's index.json.
      expect((await readFile(join(dir.path, "index.json"))).equals(indexJson)).toBe(true);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(`copied to oci:${dir.path}:demo (unchanged)`);
      expect(second.stdout).toContain(`${indexDigest} (OCI image index`);
    } finally {
      await dir.remove();
    }
  });
});
