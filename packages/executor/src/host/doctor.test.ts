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

// The connector and /dev/net/tun (isolation-checks.ts): only network: isolated fails without them; with
// no network set, jobs fall back to the host's network and doctor says so.
const support = (connector: "pasta" | "slirp4netns" | undefined, tunMode = 0o666) => ({
  versions: {
    pasta: connector === "pasta" ? "pasta 0.0~git20230309" : undefined,
    slirp4netns: connector === undefined ? undefined : "slirp4netns version 1.2.0",
  },
  connector,
  tunMode,
  missing: [],
});
const settings = (network: "isolated" | "host" | "none" | undefined, isolatedHostPorts: number[] = []) => ({
  network,
  isolatedHostPorts,
});

test.each([
  ["isolated", false],
  [undefined, true],
  ["host", true],
  ["none", true],
] as const)(
  "network %s without a connector and with /dev/net/tun 0600 passes the network checks: %s",
  (network, ok) => {
    for (const check of networkChecks(settings(network), support(undefined, 0o600)))
      expect(check.ok).toBe(ok);
  },
);

test("with no network set, a host without a connector is told its jobs share the host's network, and the fix", () => {
  const [connector, tun] = networkChecks(settings(undefined), support(undefined, 0o600));
  expect(connector).toMatchObject({ name: "network connector", ok: true });
  expect(connector?.detail).toBe(
    "neither pasta nor slirp4netns found (jobs share the host's network until it is fixed: network is not set, and isolated needs it)",
  );
  expect(connector?.fix).toBe(
    "apt-get install passt (or dnf install passt); where passt is not packaged (Ubuntu 22.04, Debian 11): apt-get install slirp4netns",
  );
  expect(tun?.detail).toMatch(
    /^mode 600: pasta or slirp4netns cannot open it .*jobs share the host's network/,
  );
  expect(tun?.fix).toMatch(/^chmod 0666 \/dev\/net\/tun/);
});

test("names the connector jobs get: pasta where it runs, else slirp4netns, saying what pasta would add", () => {
  expect(networkChecks(settings("isolated"), support("pasta"))[0]).toMatchObject({
    ok: true,
    detail: "pasta 0.0~git20230309 connects jobs' own networks",
  });
  expect(networkChecks(settings("isolated"), support("slirp4netns"))[0]).toMatchObject({
    ok: true,
    detail:
      "slirp4netns version 1.2.0 connects jobs' own networks (pasta not found; isolated_host_ports would need it)",
  });
  expect(networkChecks(settings(undefined), support("slirp4netns", 0o600))[1]?.detail).toMatch(
    /^mode 600: slirp4netns cannot open it/,
  );
});

test.each([
  ["isolated", false],
  [undefined, false],
  ["host", true],
  ["none", true],
] as const)("isolated_host_ports with slirp4netns alone and network %s passes: %s", (network, ok) => {
  const [connector] = networkChecks(settings(network, [5000]), support("slirp4netns"));
  expect(connector?.ok).toBe(ok);
  if (!ok) {
    expect(connector?.detail).toContain("isolated_host_ports (5000) needs pasta: jobs are refused");
    expect(connector?.fix).toBe("apt-get install passt (or dnf install passt)");
  }
});
