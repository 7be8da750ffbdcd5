import { PolyarchError } from "@polyarch/errors";
import {
  formatPlatform,
  type Platform,
  parsePlatformList,
  parseReference,
  platformsEqual,
} from "@polyarch/oci";
import { archKey, platformOfArchKey } from "./dotenv.ts";
import type { Env } from "./routing.ts";

/** One build job's image, as its dotenv report handed it to the merge job. */
export interface EnvSource {
  /** `POLYARCH_IMAGE_ARM64`. */
  variable: string;
  /** `registry/repository@sha256:…`. */
  text: string;
  reference: ReturnType<typeof parseReference>;
  /** The platform the variable's `<ARCH>` names: the child's config must say the same. */
  platform: Platform;
}

const IMAGE_VARIABLE = /^POLYARCH_IMAGE_([A-Z0-9_]+)$/;

/**
 * The merge sources in a merge job's environment (pure): every `POLYARCH_IMAGE_<ARCH>` that GitLab
 * passed from the dotenv reports of the jobs in `needs`, by digest, in `<ARCH>` order. With `platforms`,
 * exactly those, each required. Exit 2 naming what is missing or malformed.
 */
export function sourcesFromEnv(env: Env, platforms?: string): EnvSource[] {
  const found: EnvSource[] = [];
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const key = IMAGE_VARIABLE.exec(variable)?.[1];
    if (key === undefined || value === undefined || value === "") continue;
    const platform = platformOfArchKey(key);
    if (platform === undefined) {
      throw new PolyarchError("POLYARCH_E_BAD_ENV_SOURCE", `${variable}: "${key}" is not an architecture`, {
        hint: "polyarch build writes POLYARCH_IMAGE_<ARCH> with ARCH like AMD64, ARM64, ARM_V7",
      });
    }
    const reference = parseReference(value.trim());
    if (reference.kind !== "registry" || reference.digest === undefined) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ENV_SOURCE",
        `${variable}=${value} is not a reference by digest`,
        {
          hint: "merge by digest: the build job's --dotenv writes repo@sha256:…; a tag could have moved since",
        },
      );
    }
    found.push({ variable, text: value.trim(), reference, platform });
  }
  if (found.length === 0) {
    throw new PolyarchError("POLYARCH_E_NO_ENV_SOURCES", "no POLYARCH_IMAGE_<ARCH> variable is set", {
      hint: "list the build jobs under needs: and give each `polyarch build --dotenv build.env` with artifacts: reports: dotenv: build.env",
    });
  }
  if (platforms === undefined) return found;
  const wanted = parsePlatformList(platforms);
  const missing = wanted.filter((p) => !found.some((s) => platformsEqual(s.platform, p)));
  if (missing.length > 0) {
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_NOT_BUILT",
      `--platforms asks for ${missing.map(formatPlatform).join(", ")}, but no build job passed ${missing.map((p) => `POLYARCH_IMAGE_${archKey(p)}`).join(", ")}`,
      {
        hint: `the environment has ${found.map((s) => s.variable).join(", ")}; check the merge job's needs: and that each build job has artifacts: reports: dotenv`,
      },
    );
  }
  return wanted.map((p) => found.find((s) => platformsEqual(s.platform, p)) as EnvSource);
}

/**
 * The merge job's own dotenv lines: `POLYARCH_INDEX=registry/repository@sha256:…`, and with `images`
 * `POLYARCH_DIGESTS`, each image of the index as `registry/repository@sha256:…`, comma-separated (a
 * dotenv value holds no spaces), so a signing step is one line (`cosign sign ${POLYARCH_DIGESTS//,/ }`).
 */
export function indexDotenvEntries(
  repository: string,
  digest: string,
  images: string[] = [],
): Array<[string, string]> {
  return [
    ["POLYARCH_INDEX", `${repository}@${digest}`],
    ...(images.length > 0 ? [["POLYARCH_DIGESTS", images.join(",")] as [string, string]] : []),
  ];
}
