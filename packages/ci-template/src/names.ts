import { normalizePlatform, type Platform } from "@polyarch/oci";

/** A platform as a job name part: `amd64`, `arm64`, `arm-v7` (no slash, so `.polyarch-build-arm-v7`). */
export function jobArch(platform: Platform): string {
  const { architecture, variant } = normalizePlatform(platform);
  return variant ? `${architecture}-${variant}` : architecture;
}

/**
 * A platform as the suffix of the dotenv names polyarch build writes (POLYARCH_IMAGE_<ARCH>):
 * `AMD64`, `ARM64`, `ARM_V7`.
 */
export function dotenvArch(platform: Platform): string {
  return jobArch(platform).toUpperCase().replaceAll("-", "_");
}

/** The architecture as Kubernetes labels nodes (`kubernetes.io/arch`): no variant. */
export function kubernetesArch(platform: Platform): string {
  return normalizePlatform(platform).architecture;
}
