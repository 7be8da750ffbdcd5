import { normalizePlatform, type Platform } from "@polyarch/oci";

/** A platform as a job name part: `amd64`, `arm64`, `arm-v7` (no slash, so `.polyarch-build-arm-v7`). */
export function jobArch(platform: Platform): string {
  const { architecture, variant } = normalizePlatform(platform);
  return variant ? `${architecture}-${variant}` : architecture;
}

/** The architecture as Kubernetes labels nodes (`kubernetes.io/arch`): no variant. */
export function kubernetesArch(platform: Platform): string {
  return normalizePlatform(platform).architecture;
}
