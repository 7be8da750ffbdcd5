import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { CiProblem } from "./problems.ts";

/**
 * GitLab's CI JSON schema (the one its pipeline editor uses, app/assets/javascripts/editor/schema/ci.json),
 * as gitlab-ci-local 4.75.1 ships it. Validated with Ajv, the JSON Schema validator gitlab-ci-local and
 * most editors use, rather than a hand-written subset that would drift from GitLab's keywords.
 * Read with `createRequire(import.meta.url)`, the same path from src/ and dist/, which the cli's bundle
 * writes in (packages/cli/scripts/bundle.ts): the binaries ship no file beside them to read.
 */
const readGitlabCiSchema = () => createRequire(import.meta.url)("../gitlab-ci.schema.json") as object;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    // strict: false because the schema carries editor keywords (markdownDescription) Ajv does not know.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    compiled = ajv.compile(readGitlabCiSchema());
  }
  return compiled;
}

/** Every place a CI document breaks GitLab's schema, by job and key; [] when it conforms. */
export function validateCiSchema(document: unknown): CiProblem[] {
  const validate = validator();
  if (validate(document)) return [];
  return mostSpecific(validate.errors ?? []).map(toProblem);
}

/**
 * Ajv reports every branch of a failed oneOf/anyOf; keep the errors at the deepest paths, once each, so
 * a typo in `artifacts.reports` is reported there and not also as "must match a schema in anyOf" above it.
 */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const concrete = errors.filter((error) => !["oneOf", "anyOf", "if", "not"].includes(error.keyword));
  const kept = concrete.length > 0 ? concrete : [...errors];
  const deepest = kept.filter(
    (error) =>
      !kept.some((other) => other !== error && other.instancePath.startsWith(`${error.instancePath}/`)),
  );
  // A key that is not allowed explains every other branch's complaint at the same place.
  const unknownKeyAt = new Set(
    deepest.filter((error) => error.keyword === "additionalProperties").map((error) => error.instancePath),
  );
  const seen = new Set<string>();
  return deepest.filter((error) => {
    if (unknownKeyAt.has(error.instancePath) && error.keyword !== "additionalProperties") return false;
    const id = `${error.instancePath} ${describe(error)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function toProblem(error: ErrorObject): CiProblem {
  const [job = "(file)", ...rest] = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  const key = rest
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
  return { job, key, message: `${describe(error)} (GitLab CI schema)` };
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties")
    return `unknown key ${JSON.stringify(params.additionalProperty)}`;
  if (error.keyword === "enum")
    return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
  return error.message ?? error.keyword;
}
