import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "@polyarch/test-harness";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { isExecutableInRoot, readInRoot, resolveInRoot } from "./tree-fs.ts";

let work: Awaited<ReturnType<typeof tempDir>>;
let root: string;
beforeEach(async () => {
  work = await tempDir("polyarch-tree-");
  root = join(work.path, "root");
  await mkdir(join(root, "usr/bin"), { recursive: true });
  await mkdir(join(root, "etc"));
  await writeFile(join(work.path, "host-secret"), "host");
});
afterEach(() => work.remove());

describe("looking inside an image", () => {
  test("follows the image's symlinks as a chroot would, absolute and relative", async () => {
    await writeFile(join(root, "usr/bin/bash"), "#!", { mode: 0o755 });
    await symlink("usr/bin", join(root, "bin"));
    await symlink("/usr/bin/bash", join(root, "usr/bin/sh"));
    expect(await resolveInRoot(root, "/bin/bash")).toBe(join(root, "usr/bin/bash"));
    expect(await isExecutableInRoot(root, "/bin/sh")).toBe(true);
    expect(await isExecutableInRoot(root, "/bin/zsh")).toBe(false);
  });

  test("never reads a host file through an image's link, however it climbs", async () => {
    await symlink("../../host-secret", join(root, "etc/passwd"));
    await symlink(join(work.path, "host-secret"), join(root, "etc/group"));
    await symlink("/../../../..", join(root, "up"));
    expect(await readInRoot(root, "/etc/passwd")).toBeUndefined();
    expect(await readInRoot(root, "/etc/group")).toBeUndefined();
    expect(await readInRoot(root, "/up/host-secret")).toBeUndefined();
  });

  test("a symlink loop resolves to nothing", async () => {
    await symlink("b", join(root, "a"));
    await symlink("a", join(root, "b"));
    expect(await resolveInRoot(root, "/a")).toBeUndefined();
  });
});
