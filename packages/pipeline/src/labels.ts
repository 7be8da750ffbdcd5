import { PolyarchError } from "@polyarch/errors";
import type { Env } from "./routing.ts";

/**
 * OCI annotation keys (https://github.com/opencontainers/image-spec/blob/main/annotations.md) filled from
 * GitLab's predefined variables when the job has them and `--label` does not set them.
 */
const CI_LABELS: Array<[string, string]> = [
  ["org.opencontainers.image.source", "CI_PROJECT_URL"],
  ["org.opencontainers.image.revision", "CI_COMMIT_SHA"],
  ["org.opencontainers.image.created", "CI_PIPELINE_CREATED_AT"],
  ["org.opencontainers.image.version", "CI_COMMIT_TAG"],
];

/** `KEY=VALUE` flags (`--build-arg`, `--label`), in order; a key given twice keeps its last value. */
export function parseKeyValues(
  values: readonly string[],
  flag: "--build-arg" | "--label",
): Array<[string, string]> {
  const pairs = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0) {
      throw new PolyarchError("POLYARCH_E_BAD_BUILD_ARG", `${flag} "${value}" is not KEY=VALUE`, {
        hint: `write ${flag} NAME=value (an empty value is NAME=)`,
      });
    }
    pairs.set(value.slice(0, eq), value.slice(eq + 1));
  }
  return [...pairs];
}

/** The labels a build gets (pure): the CI ones the job has, then `--label`s, which win. */
export function buildLabels(given: Array<[string, string]>, env: Env): Array<[string, string]> {
  const labels = new Map<string, string>();
  for (const [key, variable] of CI_LABELS) {
    const value = env[variable];
    if (value) labels.set(key, value);
  }
  for (const [key, value] of given) labels.set(key, value);
  return [...labels];
}
