import { PolyarchError } from "@polyarch/errors";
import {
  type Descriptor,
  formatPlatform,
  isAttestation,
  normalizePlatform,
  type Platform,
  platformRuns,
  selectChild,
} from "@polyarch/oci";

export interface PlatformPolicy {
  host: Platform;
  /** Emulation is allowed in the settings. */
  emulation: boolean;
  /** Architectures with a binfmt handler on this host. */
  emulated: readonly string[];
}

export type PlatformChoice = { platform: Platform; emulated: boolean };

/**
 * The child of an index this host runs: the best one it runs natively (oci's `selectChild`, `runs-on`
 * the host's platform with its amd64 level or ARM variant), else, when allowed, the baseline child of
 * the first architecture in the index a binfmt_misc handler emulates.
 */
export function chooseChild(
  image: string,
  manifests: readonly Descriptor[],
  policy: PlatformPolicy,
): { child: Descriptor } & PlatformChoice {
  const native = selectChild(manifests, policy.host, "runs-on");
  if (native) return { child: native, platform: native.platform as Platform, emulated: false };
  const runnable = manifests.filter((child) => child.platform !== undefined && !isAttestation(child));
  if (policy.emulation) {
    const architectures = runnable.map((child) => normalizePlatform(child.platform as Platform).architecture);
    for (const architecture of architectures.filter((a) => policy.emulated.includes(a))) {
      const emulated = selectChild(manifests, { os: policy.host.os, architecture }, "runs-on");
      if (emulated) return { child: emulated, platform: emulated.platform as Platform, emulated: true };
    }
  }
  const offered =
    runnable.map((child) => formatPlatform(child.platform as Platform)).join(", ") || "no platforms";
  throw platformError(image, `its index offers ${offered}`, policy);
}

/** Whether a single-platform image runs here: natively, or emulated when allowed and possible. */
export function judgePlatform(image: string, platform: Platform, policy: PlatformPolicy): PlatformChoice {
  const normalized = normalizePlatform(platform);
  if (platformRuns(policy.host, normalized)) return { platform: normalized, emulated: false };
  if (policy.emulation && policy.emulated.includes(normalized.architecture)) {
    return { platform: normalized, emulated: true };
  }
  throw platformError(image, `it is ${formatPlatform(normalized)}`, policy);
}

function platformError(image: string, what: string, policy: PlatformPolicy): PolyarchError {
  const host = formatPlatform(policy.host);
  const hint = policy.emulation
    ? `no binfmt_misc handler runs it here (handlers for: ${policy.emulated.join(", ") || "none"}); install qemu-user-static, or publish a ${host} image`
    : `publish a ${host} image (polyarch merge makes a multi-arch index), or allow emulation in the executor settings`;
  return new PolyarchError(
    "POLYARCH_E_IMAGE_PLATFORM",
    `image ${image} cannot run on this ${host} host: ${what}`,
    {
      hint,
    },
  );
}
