import { parseAllDocuments } from "yaml";
import type { CiFile } from "../check-file.ts";
import { type CiDocument, renderCiYaml } from "../ci-yaml.ts";
import type { CiProblem } from "../problems.ts";
import type { ComponentInput } from "./component.ts";
import { checkInputs } from "./inputs.ts";
import { interpolate } from "./interpolate.ts";

/** One `include: component:` of a CI file: its address and the inputs it gives. */
export interface ComponentInclude {
  address: string;
  inputs: Record<string, unknown>;
}

/** The component includes of a CI document, in order. */
export function componentIncludes(document: CiDocument): ComponentInclude[] {
  const include = document.include;
  const items = Array.isArray(include) ? include : include === undefined ? [] : [include];
  return items.flatMap((item: unknown) => {
    const entry = item as { component?: unknown; inputs?: unknown } | null;
    if (entry === null || typeof entry !== "object" || typeof entry.component !== "string") return [];
    const inputs = entry.inputs !== null && typeof entry.inputs === "object" ? entry.inputs : {};
    return [{ address: entry.component, inputs: inputs as Record<string, unknown> }];
  });
}

/**
 * `<host>/<project path>/<name>@<version>` split up; undefined when the address is not of that form.
 * https://docs.gitlab.com/ci/components/#use-a-component
 */
export function parseComponentAddress(
  address: string,
): { host: string; project: string; name: string; version: string } | undefined {
  const match = /^([^/\s]+)\/(.+)\/([^/@]+)@(.+)$/.exec(address);
  if (!match) return undefined;
  return { host: match[1]!, project: match[2]!, name: match[3]!, version: match[4]! };
}

/**
 * Whether GitLab takes the component from the pipeline's own commit: the address names this project
 * (`$CI_PROJECT_PATH`) at this commit (`$CI_COMMIT_SHA`), as a component project's own pipeline does.
 */
export function isOwnComponent(address: string): boolean {
  const parsed = parseComponentAddress(address);
  return parsed?.project === "$CI_PROJECT_PATH" && parsed.version === "$CI_COMMIT_SHA";
}

/**
 * A component file included with `inputs` (pure): the inputs checked against its `spec: inputs:`, then
 * its jobs interpolated, as a CI file the pipeline checks take like any included file. `version` stands
 * for `$[[ component.version ]]` (empty for an include by SHA, as in GitLab).
 */
export function includeComponent(
  include: ComponentInclude,
  templatePath: string,
  templateText: string,
  version: string,
): { file?: CiFile; problems: CiProblem[] } {
  const where = `component ${include.address}`;
  const documents = parseAllDocuments(templateText);
  const [header, body, ...rest] = Array.isArray(documents) ? documents : [];
  const wellFormed =
    header !== undefined &&
    body !== undefined &&
    rest.length === 0 &&
    [header, body].every((d) => d.errors.length === 0);
  const spec = wellFormed
    ? (header.toJS() as { spec?: { inputs?: Record<string, ComponentInput> } } | null)?.spec
    : undefined;
  if (!wellFormed || !spec)
    return {
      problems: [
        {
          job: "include",
          key: where,
          message: `${templatePath} is not a component: a spec: document, ---, then the jobs`,
        },
      ],
    };
  const { values, problems } = checkInputs(spec.inputs ?? {}, include.inputs, where);
  if (problems.length > 0) return { problems };
  const jobs = interpolate((body.toJS() ?? {}) as CiDocument, values, { version });
  return {
    file: { path: `${templatePath} (${where})`, text: renderCiYaml([], jobs) },
    problems: [],
  };
}
