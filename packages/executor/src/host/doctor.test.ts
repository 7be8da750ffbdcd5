import { expect, test } from "vitest";
import { overlayCheck } from "./doctor.ts";

const noOverlay = { exitCode: 32, tail: "mount: permission denied" };
const overlay = { exitCode: 0, tail: "" };

// What the job's root falls back to (sandbox/root.ts): without overlayfs, auto and copy copy the image.
test.each([
  ["auto", noOverlay, true],
  ["copy", noOverlay, true],
  ["overlay", noOverlay, false],
  ["auto", overlay, true],
  ["overlay", overlay, true],
] as const)("root: %s with probe %j passes the overlay check: %s", (root, probe, ok) => {
  expect(overlayCheck(probe, root).ok).toBe(ok);
});

test("without overlayfs, root: auto is told its jobs get a copy; root: overlay is told to change", () => {
  expect(overlayCheck(noOverlay, "auto").detail).toBe(
    "no unprivileged overlayfs (mount: permission denied); jobs get a copy of their image (root: auto)",
  );
  expect(overlayCheck(noOverlay, "overlay")).toMatchObject({
    ok: false,
    fix: expect.stringContaining("set root: auto (or copy)"),
  });
});
