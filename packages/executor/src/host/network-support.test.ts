import { describe, expect, test } from "vitest";
import { type IsolatedNetworkSupport, planJobNetwork } from "./network-support.ts";

const PASTA = "pasta 0.0~git20230309";
const SLIRP = "slirp4netns version 1.2.0";
const host = (
  versions: IsolatedNetworkSupport["versions"],
  missing: IsolatedNetworkSupport["missing"] = [],
): IsolatedNetworkSupport => ({
  versions,
  connector:
    versions.pasta !== undefined ? "pasta" : versions.slirp4netns !== undefined ? "slirp4netns" : undefined,
  tunMode: 0o666,
  missing,
});
const both = host({ pasta: PASTA, slirp4netns: SLIRP });
const slirpOnly = host({ pasta: undefined, slirp4netns: SLIRP });
const neither = host({ pasta: undefined, slirp4netns: undefined }, [
  { what: "neither pasta nor slirp4netns is installed", fix: "apt-get install passt" },
]);

describe("the network a job gets", () => {
  test("isolated through pasta where it runs, even beside slirp4netns, with or without host ports", () => {
    for (const setting of ["isolated", undefined] as const)
      for (const ports of [[], [5000]])
        expect(planJobNetwork(setting, ports, both)).toEqual({
          kind: "network",
          network: { network: "isolated", connector: "pasta" },
        });
  });

  test("isolated through slirp4netns where pasta is missing", () => {
    for (const setting of ["isolated", undefined] as const)
      expect(planJobNetwork(setting, [], slirpOnly)).toEqual({
        kind: "network",
        network: { network: "isolated", connector: "slirp4netns" },
      });
  });

  test("isolated_host_ports with slirp4netns alone is refused, naming the setting and passt, never widened", () => {
    for (const setting of ["isolated", undefined] as const) {
      const plan = planJobNetwork(setting, [5000, 5001], slirpOnly);
      expect(plan).toMatchObject({ kind: "refused" });
      if (plan.kind !== "refused") continue;
      expect(plan.reason).toMatch(/^isolated_host_ports \(5000, 5001\) needs pasta, which this host lacks/);
      expect(plan.fix).toMatch(
        /^apt-get install passt \(or dnf install passt\); or remove isolated_host_ports/,
      );
    }
  });

  test("the host's, with the warning and the fix, with no setting and no connector", () => {
    const plan = planJobNetwork(undefined, [5000], neither);
    expect(plan).toMatchObject({ kind: "network", network: { network: "host" } });
    expect(plan.kind === "network" && plan.warning).toBe(
      "WARNING: this job shares the host's network (it reaches every service on the host, and its services' ports must be free there): neither pasta nor slirp4netns is installed. Fix: apt-get install passt; or set network: host (or isolated, or none) in the executor settings to choose",
    );
  });

  test("network: isolated without a connector, or with /dev/net/tun closed, is refused with the fix", () => {
    expect(planJobNetwork("isolated", [], neither)).toEqual({
      kind: "refused",
      reason: "network: isolated cannot be given on this host: neither pasta nor slirp4netns is installed",
      fix: "apt-get install passt",
    });
    const closed = {
      ...slirpOnly,
      missing: [{ what: "/dev/net/tun is mode 600", fix: "chmod 0666 /dev/net/tun" }],
    };
    expect(planJobNetwork("isolated", [], closed)).toMatchObject({
      kind: "refused",
      fix: "chmod 0666 /dev/net/tun",
    });
  });

  test("host and none are kept as set, whatever the host has", () => {
    for (const setting of ["host", "none"] as const)
      expect(planJobNetwork(setting, [5000], neither)).toEqual({
        kind: "network",
        network: { network: setting },
      });
  });
});
