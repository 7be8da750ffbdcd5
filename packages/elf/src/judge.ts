import { formatPlatform, type ImageConfig, type Platform, platformsEqual } from "@polyarch/oci";
import type { VerifyBinariesResult } from "./verify.ts";

/**
 * What an image turned out to be, from its config (the label) and the ELF machine of its binaries
 * (the truth), against the platform someone stated for it (a helper image's tag, a merge's --platforms):
 * - `ok`: both agree with the tag;
 * - `mislabelled`: the binaries agree with the tag, the config does not: fixable by relabelling;
 * - `wrong-binaries`: the binaries are for another architecture: not fixable, the tag is wrong;
 * - `unverifiable`: no ELF executable to read.
 */
export type Verdict =
  | { kind: "ok"; summary: string }
  | { kind: "mislabelled"; label: string; real: string; message: string }
  | { kind: "wrong-binaries"; label: string; real: string; message: string }
  | { kind: "unverifiable"; message: string };

/**
 * Judges one image (pure): `source` names it in messages (`arm64-v18.9.0`, `v19.2.0 (linux/arm64)`);
 * `stated` ends the mislabelled message, saying who stated `expected` (`as the tag says`).
 */
export function judge(
  source: string,
  expected: Platform,
  config: ImageConfig,
  binaries: VerifyBinariesResult,
  stated: string,
): Verdict {
  const labelled = { os: config.os, architecture: config.architecture, variant: config.variant };
  const label = formatPlatform(labelled);
  const want = formatPlatform(expected);
  if (binaries.checked === 0) {
    return {
      kind: "unverifiable",
      message: `${source}: no ELF executable to check (${binaries.notes.join("; ")}); cannot tell whether it is ${want}`,
    };
  }
  if (!binaries.ok) {
    const first = binaries.mismatches[0]!;
    const real = first.found.architecture;
    return {
      kind: "wrong-binaries",
      label,
      real,
      message: `${source} should be ${want}, but ${first.path} is ${real} (${first.foundName}); it is labelled ${label}`,
    };
  }
  if (!platformsEqual(labelled, expected)) {
    const real = expected.architecture;
    const binary = binaries.scope === "paths" ? "its helper binary" : "its executables";
    return {
      kind: "mislabelled",
      label,
      real,
      message: `${source} is labelled ${label}, but ${binary} ${binaries.checked === 1 && binaries.scope === "paths" ? "is" : "are"} ${real} (${binaries.machines[0]?.name ?? real}), ${stated}`,
    };
  }
  return { kind: "ok", summary: binaries.summary };
}
