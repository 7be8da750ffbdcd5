import { PolyarchError } from "@polyarch/errors";
import {
  formatPlatform,
  isValidTag,
  type Platform,
  parseReference,
  type RegistryReference,
} from "@polyarch/oci";
import type { Env } from "./routing.ts";

/** Unique per job: two pipelines building the same commit never push the same tag. */
export const DEFAULT_TAG_TEMPLATE = "{arch}-{sha}-{pipeline}";

/** Placeholders and where their values come from; the platform's come from the build. */
const CI_PLACEHOLDERS: Record<string, string> = {
  sha: "CI_COMMIT_SHORT_SHA",
  pipeline: "CI_PIPELINE_ID",
  job: "CI_JOB_ID",
  ref: "CI_COMMIT_REF_SLUG",
};
const PLATFORM_PLACEHOLDERS = ["arch", "os", "variant"];
const PLACEHOLDER = /\{([a-z]+)\}/g;

/**
 * The destination of one build (pure): `--image` and `--tag-template` with their placeholders filled.
 * Both write-ups' naming styles work: `--image reg/app --tag-template {arch}-{sha}` gives
 * `reg/app:amd64-1a2b3c`, `--image reg/app-{arch} --tag-template {sha}` gives `reg/app-amd64:1a2b3c`.
 * The architecture must appear in one of them, or the build jobs of one pipeline would overwrite each other.
 */
export function destinationOf(
  image: string,
  tagTemplate: string,
  platform: Platform,
  env: Env,
): RegistryReference & { tag: string } {
  if (!/\{arch\}/.test(image) && !/\{arch\}/.test(tagTemplate)) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_TEMPLATE",
      `--tag-template "${tagTemplate}" has no {arch} (nor has --image ${image}), so every architecture's build would push the same tag`,
      { hint: `put {arch} in the tag or the repository, e.g. --tag-template ${DEFAULT_TAG_TEMPLATE}` },
    );
  }
  const repositoryText = fill(image, "--image", platform, env);
  const tag = fill(tagTemplate, "--tag-template", platform, env);
  if (!isValidTag(tag)) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_TAG",
      `--tag-template "${tagTemplate}" gives "${tag}", not a valid tag`,
      {
        hint: "tags are letters, digits, _ . and -, at most 128 characters, not starting with . or -",
      },
    );
  }
  const lastPart = repositoryText.slice(repositoryText.lastIndexOf("/") + 1);
  const reference =
    lastPart.includes(":") || lastPart.includes("@") ? undefined : parseReference(`${repositoryText}:${tag}`);
  if (reference?.kind !== "registry" || reference.tag === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--image ${image} must name a registry repository, without a tag or digest`,
      { hint: "e.g. --image $CI_REGISTRY_IMAGE; the tag comes from --tag-template" },
    );
  }
  return { ...reference, tag };
}

function fill(template: string, flag: string, platform: Platform, env: Env): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === "arch") return platform.architecture;
    if (name === "os") return platform.os;
    if (name === "variant") return platform.variant ?? "";
    const variable = CI_PLACEHOLDERS[name];
    if (variable === undefined) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_TEMPLATE",
        `${flag} "${template}" has an unknown placeholder ${whole}`,
        {
          hint: `placeholders are ${[...PLATFORM_PLACEHOLDERS, ...Object.keys(CI_PLACEHOLDERS)].map((p) => `{${p}}`).join(" ")}`,
        },
      );
    }
    const value = env[variable];
    if (!value) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_TEMPLATE",
        `${flag} "${template}" uses ${whole}, but ${variable} is not set (building ${formatPlatform(platform)})`,
        { hint: `outside GitLab CI, set ${variable} or give a --tag-template without ${whole}` },
      );
    }
    return value;
  });
}
