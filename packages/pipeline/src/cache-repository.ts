import { PolyarchError } from "@polyarch/errors";
import { formatRepository, type Platform, parseReference } from "@polyarch/oci";

/**
 * The layer cache of one platform's builds: `<repository>/<os>-<arch>[-<variant>]`. A cache shared by
 * architectures poisons builds (Kaniko reuses another architecture's RUN layer:
 * https://github.com/GoogleContainerTools/kaniko/issues/2567), so each platform gets its own repository.
 */
export function cacheRepositoryOf(repository: string, platform: Platform): string {
  let reference: ReturnType<typeof parseReference> | undefined;
  try {
    // With a tag of our own: a repository that already has a tag or a digest does not parse.
    reference = parseReference(`${repository}:cache`);
  } catch {
    reference = undefined;
  }
  if (reference?.kind !== "registry" || reference.digest !== undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--cache-repo ${repository} must name a registry repository, without a tag or digest`,
      { hint: "e.g. --cache-repo $CI_REGISTRY_IMAGE/cache: each platform's cache goes under it" },
    );
  }
  const suffix = [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join(
    "-",
  );
  return `${formatRepository(reference)}/${suffix}`;
}
