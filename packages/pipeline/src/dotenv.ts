import { PolyarchError } from "@polyarch/errors";
import { normalizePlatform, type Platform } from "@polyarch/oci";

/**
 * The `<ARCH>` of a platform in dotenv names (pure): architecture and variant, upper case, joined by `_`
 * (`AMD64`, `ARM64`, `ARM_V7`). The OS is not in it: GitLab pipelines build Linux images.
 */
export function archKey(platform: Platform): string {
  const { architecture, variant } = normalizePlatform(platform);
  return [architecture, variant]
    .filter(Boolean)
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, "_");
}

/** Go's architecture names (`go tool dist list`), the ones image platforms use. */
const ARCHITECTURES = new Set([
  "386",
  "amd64",
  "arm",
  "arm64",
  "loong64",
  "mips",
  "mipsle",
  "mips64",
  "mips64le",
  "ppc64",
  "ppc64le",
  "riscv64",
  "s390x",
]);

/** The Linux platform an `<ARCH>` stands for: `ARM_V7` → linux/arm/v7; `undefined` if it is not one. */
export function platformOfArchKey(key: string): Platform | undefined {
  const match = /^([A-Z0-9]+)(?:_(V[0-9A-Z.]+))?$/.exec(key);
  if (!match || !ARCHITECTURES.has((match[1] as string).toLowerCase())) return undefined;
  const platform: Platform = { os: "linux", architecture: (match[1] as string).toLowerCase() };
  if (match[2]) platform.variant = match[2].toLowerCase();
  const normalized = normalizePlatform(platform);
  return archKey(normalized) === key ? normalized : undefined;
}

/**
 * A dotenv file for GitLab's `artifacts: reports: dotenv` (pure): `KEY=value` lines in the order given.
 * GitLab's parser takes no quoting it does not need, so values must be plain; references and digests are.
 */
export function renderDotenv(entries: ReadonlyArray<readonly [string, string]>): string {
  for (const [key, value] of entries) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key) || /[\s"'`$\\#]/.test(value)) {
      throw new PolyarchError("POLYARCH_E_INTERNAL", `dotenv entry ${key} cannot be written as is`);
    }
  }
  return entries.map(([key, value]) => `${key}=${value}\n`).join("");
}

/** The dotenv lines of one build: `POLYARCH_IMAGE_<ARCH>=repo@sha256:…` and `POLYARCH_DIGEST_<ARCH>`. */
export function buildDotenvEntries(
  platform: Platform,
  repository: string,
  digest: string,
): Array<[string, string]> {
  const key = archKey(platform);
  return [
    [`POLYARCH_IMAGE_${key}`, `${repository}@${digest}`],
    [`POLYARCH_DIGEST_${key}`, digest],
  ];
}
