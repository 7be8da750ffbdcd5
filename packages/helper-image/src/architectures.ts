import { type Platform, parsePlatform } from "@polyarch/oci";

/**
 * The architectures GitLab publishes helper images for, as its tags name them
 * (`x86_64-v18.9.0`, `arm64-v18.9.0`, …), and the OCI platform each one is.
 */
export const HELPER_ARCHITECTURES = {
  x86_64: "linux/amd64",
  arm64: "linux/arm64",
  arm: "linux/arm/v7",
  s390x: "linux/s390x",
  ppc64le: "linux/ppc64le",
  riscv64: "linux/riscv64",
} as const;

export type HelperArchitecture = keyof typeof HELPER_ARCHITECTURES;

export const ARCHITECTURE_NAMES = Object.keys(HELPER_ARCHITECTURES) as HelperArchitecture[];

/** Names people write for the same thing, pointing at the tag's name. */
const ALIASES: Record<string, HelperArchitecture> = {
  amd64: "x86_64",
  "x86-64": "x86_64",
  aarch64: "arm64",
  armhf: "arm",
  armv7: "arm",
  armv7l: "arm",
};

export function platformOfArchitecture(architecture: HelperArchitecture): Platform {
  return parsePlatform(HELPER_ARCHITECTURES[architecture]);
}

export function isHelperArchitecture(value: string): value is HelperArchitecture {
  return Object.hasOwn(HELPER_ARCHITECTURES, value);
}

/** The helper's tag name for an alias (`amd64` → `x86_64`), for "did you mean" messages. */
export function architectureAlias(value: string): HelperArchitecture | undefined {
  return ALIASES[value.toLowerCase()];
}
