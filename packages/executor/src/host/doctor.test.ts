import { expect, test } from "vitest";
import { overlayCheck } from "./doctor.ts";
import { networkChecks } from "./isolation-checks.ts";

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

// pasta and /dev/net/tun (isolation-checks.ts): only network: isolated fails without them; with no
// network set, jobs fall back to the host's network and doctor says so.
const noPasta = { pasta: undefined, tunMode: 0o600, missing: [] };
test.each([
  ["isolated", false],
  [undefined, true],
  ["host", true],
  ["none", true],
] as const)(
  "network %s without pasta and with /dev/net/tun 0600 passes the network checks: %s",
  (network, ok) => {
    for (const check of networkChecks(network, noPasta)) expect(check.ok).toBe(ok);
  },
);

test("with no network set, a host without pasta is told its jobs share the host's network, and the fix", () => {
  const [pasta, tun] = networkChecks(undefined, noPasta);
  expect(pasta?.detail).toContain("jobs share the host's network until it is fixed");
  expect(pasta?.fix).toBe("apt-get install passt (or dnf install passt)");
  expect(tun?.detail).toMatch(/^mode 600: pasta cannot open it .*jobs share the host's network/);
  expect(tun?.fix).toMatch(/^chmod 0666 \/dev\/net\/tun/);
});
