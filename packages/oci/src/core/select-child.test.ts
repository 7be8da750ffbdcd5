import { describe, expect, it } from "vitest";
import { parsePlatform } from "./platform.ts";
import type { Descriptor } from "./schemas.ts";
import { type ChildMatch, selectChild } from "./select-child.ts";

// Every child has a digest of its own; the tables name the digest each case must get, worked out by
// hand from the rule in select-child.ts (never by calling it).
const digests = {
  amd64: `sha256:${"a1".repeat(32)}`,
  amd64v2: `sha256:${"a2".repeat(32)}`,
  amd64v3: `sha256:${"a3".repeat(32)}`,
  amd64v4: `sha256:${"a4".repeat(32)}`,
  arm64: `sha256:${"b0".repeat(32)}`,
  arm64v82: `sha256:${"b2".repeat(32)}`,
  arm64v9: `sha256:${"b9".repeat(32)}`,
  armv5: `sha256:${"c5".repeat(32)}`,
  armv6: `sha256:${"c6".repeat(32)}`,
  armv7: `sha256:${"c7".repeat(32)}`,
  armv8: `sha256:${"c8".repeat(32)}`,
  s390x: `sha256:${"d0".repeat(32)}`,
  windows: `sha256:${"e0".repeat(32)}`,
  attestation: `sha256:${"f0".repeat(32)}`,
  attestationAmd64: `sha256:${"f1".repeat(32)}`,
  noPlatform: `sha256:${"f2".repeat(32)}`,
} as const;
type Name = keyof typeof digests;

const platforms: Record<Exclude<Name, "attestation" | "attestationAmd64" | "noPlatform">, string> = {
  amd64: "linux/amd64",
  amd64v2: "linux/amd64/v2",
  amd64v3: "linux/amd64/v3",
  amd64v4: "linux/amd64/v4",
  arm64: "linux/arm64",
  arm64v82: "linux/arm64/v8.2",
  arm64v9: "linux/arm64/v9",
  armv5: "linux/arm/v5",
  armv6: "linux/arm/v6",
  armv7: "linux/arm/v7",
  armv8: "linux/arm/v8",
  s390x: "linux/s390x",
  windows: "windows/amd64",
};

const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** An index entry as a registry serves it (platform written out, not normalized). */
function child(name: Name): Descriptor {
  const entry: Descriptor = { mediaType: MANIFEST, digest: digests[name], size: 1 };
  if (name === "attestation") {
    return {
      ...entry,
      platform: { os: "unknown", architecture: "unknown" },
      annotations: { "vnd.docker.reference.type": "attestation-manifest" },
    };
  }
  // An attestation that (wrongly) states an image platform is still never chosen.
  if (name === "attestationAmd64") {
    return {
      ...entry,
      platform: { os: "linux", architecture: "amd64" },
      annotations: { "vnd.docker.reference.type": "attestation-manifest" },
    };
  }
  if (name === "noPlatform") return entry;
  const [os, architecture, variant] = platforms[name].split("/") as [string, string, string?];
  return { ...entry, platform: variant ? { os, architecture, variant } : { os, architecture } };
}

type Case = [want: string, index: Name[], expected: Name | undefined];

/** What a machine runs (the executor's host): the best child it can run, never one it cannot. */
const runsOn: Case[] = [
  // amd64 levels: never above the host's, the highest at or below it wins whatever the order.
  ["linux/amd64", ["amd64v3", "amd64"], "amd64"],
  ["linux/amd64", ["amd64v2", "amd64v3", "amd64v4"], undefined],
  ["linux/amd64/v2", ["amd64v3", "amd64v2", "amd64"], "amd64v2"],
  ["linux/amd64/v2", ["amd64v4", "amd64v3", "amd64"], "amd64"],
  ["linux/amd64/v3", ["amd64", "amd64v2", "amd64v4"], "amd64v2"],
  ["linux/amd64/v3", ["amd64", "amd64v3", "amd64v2"], "amd64v3"],
  ["linux/amd64/v4", ["amd64", "amd64v2", "amd64v3", "amd64v4"], "amd64v4"],
  ["linux/amd64/v4", ["amd64v2", "amd64"], "amd64v2"],
  ["linux/amd64/v1", ["amd64v2", "amd64"], "amd64"],
  ["linux/x86_64", ["arm64", "amd64"], "amd64"],
  ["linux/amd64/v3", ["arm64", "s390x", "windows"], undefined],
  // arm/vN runs vN…v5, best first.
  ["linux/arm/v7", ["armv6", "armv7"], "armv7"],
  ["linux/arm/v7", ["armv5", "armv6"], "armv6"],
  ["linux/arm/v7", ["armv8", "armv5"], "armv5"],
  ["linux/arm/v6", ["armv7", "armv8"], undefined],
  ["linux/arm/v6", ["armv7", "armv5", "armv6"], "armv6"],
  ["linux/arm/v8", ["armv5", "armv7", "armv6"], "armv7"],
  ["linux/arm", ["armv6", "armv7"], "armv7"],
  ["linux/arm/v7", ["arm64", "amd64"], undefined],
  // arm64: v8 (the baseline) runs no v8.x above it; v9 runs v9 and v8.0…v8.5.
  ["linux/arm64", ["arm64v82", "arm64"], "arm64"],
  ["linux/arm64", ["arm64v9", "arm64v82"], undefined],
  ["linux/arm64/v8", ["arm64v9", "arm64"], "arm64"],
  ["linux/aarch64", ["amd64", "arm64"], "arm64"],
  ["linux/arm64/v8.2", ["arm64", "arm64v82"], "arm64v82"],
  ["linux/arm64/v8.4", ["arm64v9", "arm64", "arm64v82"], "arm64v82"],
  ["linux/arm64/v9", ["arm64", "arm64v82", "arm64v9"], "arm64v9"],
  ["linux/arm64/v9", ["arm64", "arm64v82"], "arm64v82"],
  ["linux/arm64/v9.0", ["arm64v82", "arm64v9"], "arm64v9"],
  ["linux/arm64", ["armv7", "armv8"], undefined],
  // Other architectures and OSes: equal or nothing.
  ["linux/s390x", ["amd64", "s390x"], "s390x"],
  ["windows/amd64", ["amd64", "windows"], "windows"],
  ["linux/amd64", ["windows"], undefined],
  // Attestations and platformless entries are never chosen, even listed first or labelled amd64.
  ["linux/amd64", ["attestation", "attestationAmd64", "amd64"], "amd64"],
  ["linux/amd64", ["attestationAmd64"], undefined],
  ["linux/amd64", ["noPlatform", "amd64v2", "amd64"], "amd64"],
  ["linux/amd64", ["noPlatform"], undefined],
  ["linux/amd64/v2", [], undefined],
];

/** What a platform's name picks (merge, verify, inspect, mirror, helper-image): that child exactly. */
const exactly: Case[] = [
  ["linux/amd64", ["amd64v3", "amd64"], "amd64"],
  ["linux/amd64", ["amd64v3", "amd64v2"], undefined],
  ["linux/amd64/v3", ["amd64", "amd64v2", "amd64v3"], "amd64v3"],
  ["linux/amd64/v3", ["amd64", "amd64v2"], undefined],
  ["linux/amd64/v1", ["amd64v2", "amd64"], "amd64"],
  ["linux/arm/v7", ["armv6", "armv5"], undefined],
  ["linux/arm", ["armv6", "armv7"], "armv7"],
  ["linux/arm64/v8", ["arm64v82", "arm64"], "arm64"],
  ["linux/arm64", ["arm64v82", "arm64v9"], undefined],
  ["linux/arm64/v9", ["arm64", "arm64v9"], "arm64v9"],
  ["linux/amd64", ["attestationAmd64", "arm64", "amd64"], "amd64"],
  ["linux/amd64", ["attestation"], undefined],
];

describe("selectChild", () => {
  const table = (match: ChildMatch, cases: Case[]) =>
    cases.map(([want, index, expected]) => ({
      match,
      want,
      index: index.join(", ") || "(empty)",
      children: index.map(child),
      expected: expected === undefined ? undefined : digests[expected],
    }));

  it.each([...table("runs-on", runsOn), ...table("exactly", exactly)])(
    "$match $want in [$index] → $expected",
    ({ match, want, children, expected }) => {
      expect(selectChild(children, parsePlatform(want), match)?.digest).toBe(expected);
    },
  );

  it("keeps the first of two equal children, whatever the order of the others", () => {
    const first = { ...child("amd64v2"), digest: `sha256:${"0a".repeat(32)}` };
    const children = [child("amd64v3"), first, child("amd64"), child("amd64v2")];
    expect(selectChild(children, parsePlatform("linux/amd64/v2"), "runs-on")?.digest).toBe(first.digest);
  });
});
