import { mkdir } from "node:fs/promises";
import { isPolyarchError } from "@polyarch/errors";
import { expect, test } from "vitest";
import { describeFileSystemFailure } from "./fs-failure.ts";

/** An error as Node's fs makes it: message, code, syscall and path. */
function systemError(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), { code, syscall, path });
}

test("EACCES names the path, the uid and the fix, not Node's raw message", () => {
  const described = describeFileSystemFailure(systemError("EACCES", "mkdir", "/var/lib/x/jobs"), 999);
  expect(isPolyarchError(described, "POLYARCH_E_SANDBOX")).toBe(true);
  expect(described).toMatchObject({
    message: "cannot mkdir /var/lib/x/jobs: permission denied (EACCES)",
    hint: expect.stringMatching(/^let uid 999 \(the runner's user\) write there .* set state_dir/),
  });
});

test("a full disk says to free space or lower cache.max_size", () => {
  const described = describeFileSystemFailure(
    systemError("ENOSPC", "write", "/srv/state/layers/.tmp-1"),
    999,
  );
  expect(described).toMatchObject({
    message: "cannot write /srv/state/layers/.tmp-1: no space left on the device (ENOSPC)",
    hint: expect.stringContaining("lower cache.max_size"),
  });
});

test("a real fs error is described with its path", async () => {
  const error = await mkdir("/nonexistent-polyarch/a/b").catch((caught: unknown) => caught);
  expect(describeFileSystemFailure(error, 0)).toMatchObject({
    message: "cannot mkdir /nonexistent-polyarch/a/b: a directory on the way does not exist (ENOENT)",
  });
});

test("errors that are not file-system failures pass through untouched", () => {
  const plain = new Error("something else");
  expect(describeFileSystemFailure(plain, 0)).toBe(plain);
  const noPath = Object.assign(new Error("ECONNREFUSED"), { code: "ECONNREFUSED" });
  expect(describeFileSystemFailure(noPath, 0)).toBe(noPath);
});
