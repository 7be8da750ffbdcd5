import { describe, expect, test } from "vitest";
import { judgeEntry, layerPath } from "./entry-policy.ts";

const none = new Set<string>();

describe("layerPath", () => {
  test.each([
    ["./usr//bin/", "usr/bin"],
    ["usr/bin/env", "usr/bin/env"],
    ["./", ""],
  ])("%s → %s", (name, path) => expect(layerPath(name)).toBe(path));

  test.each(["/etc/passwd", "../etc", "usr/../../etc", "a\0b"])("refuses %j", (name) => {
    expect(layerPath(name)).toBeUndefined();
  });
});

describe("judgeEntry", () => {
  test("keeps regular files and directories, without setuid or setgid bits", () => {
    expect(judgeEntry({ name: "bin/su", type: "file", mode: 0o4755 }, none)).toEqual({
      kind: "file",
      path: "bin/su",
      mode: 0o755,
    });
    expect(judgeEntry({ name: "tmp/", type: "directory", mode: 0o1777 }, none)).toEqual({
      kind: "directory",
      path: "tmp",
      mode: 0o1777,
    });
    expect(judgeEntry({ name: "usr/bin/", type: "directory", mode: 0o2755 }, none)).toEqual({
      kind: "directory",
      path: "usr/bin",
      mode: 0o755,
    });
  });

  test("reads whiteouts and opaque markers as deletions from the layers below", () => {
    expect(judgeEntry({ name: "etc/.wh.motd", type: "file" }, none)).toEqual({
      kind: "whiteout",
      path: "etc/motd",
    });
    expect(judgeEntry({ name: "var/cache/.wh..wh..opq", type: "file" }, none)).toEqual({
      kind: "opaque",
      path: "var/cache",
    });
    expect(judgeEntry({ name: ".wh..wh.plnk", type: "file" }, none).kind).toBe("skip");
  });

  test("keeps symlinks that stay inside the root, absolute ones included (they resolve inside the job)", () => {
    expect(judgeEntry({ name: "bin/sh", type: "symlink", linkname: "busybox" }, none).kind).toBe("symlink");
    expect(judgeEntry({ name: "usr/lib/x", type: "symlink", linkname: "../../lib/x" }, none).kind).toBe(
      "symlink",
    );
    expect(judgeEntry({ name: "bin/python", type: "symlink", linkname: "/usr/bin/python3" }, none).kind).toBe(
      "symlink",
    );
  });

  test.each([
    [{ name: "/etc/passwd", type: "file" }, "absolute"],
    [{ name: "a/../../x", type: "file" }, "climbs"],
    [{ name: "usr/x", type: "symlink", linkname: "../../etc" }, "climbs out"],
    [{ name: "x", type: "link", linkname: "../etc/passwd" }, "outside the root"],
    [{ name: "x", type: "link", linkname: "etc/passwd" }, "not a file of this layer"],
    [{ name: "dev/sda", type: "block-device" }, "device"],
    [{ name: "dev/null", type: "character-device" }, "device"],
    [{ name: ".wh..", type: "file" }, "whiteout of nothing"],
  ])("refuses %j (%s)", (header, reason) => {
    const action = judgeEntry(header, none);
    expect(action.kind).toBe("refuse");
    expect(action.kind === "refuse" && action.reason).toContain(reason);
  });

  test("accepts a hard link to a file this layer wrote", () => {
    expect(judgeEntry({ name: "bin/b", type: "link", linkname: "./bin/a" }, new Set(["bin/a"]))).toEqual({
      kind: "hardlink",
      path: "bin/b",
      target: "bin/a",
    });
  });
});
