import type { CiDocument, CiJob } from "./ci-yaml.ts";
import type { CiProblem } from "./problems.ts";

/** Top-level keys of a CI file that are not jobs (https://docs.gitlab.com/ci/yaml/#global-keywords). */
const GLOBAL_KEYWORDS = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "spec",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
]);

/** The paths a CI document includes with `include: local:` (or a bare path); other include kinds are not followed. */
export function localIncludes(document: CiDocument): string[] {
  const include = document.include;
  const items = Array.isArray(include) ? include : include === undefined ? [] : [include];
  return items.flatMap((item: unknown) => {
    if (typeof item === "string") return /^[a-z]+:\/\//.test(item) ? [] : [item];
    if (item !== null && typeof item === "object" && typeof (item as { local?: unknown }).local === "string")
      return [(item as { local: string }).local];
    return [];
  });
}

/**
 * The jobs of a pipeline as GitLab sees them after `include` and `extends` (pure): included documents
 * first, the file's own keys over them (a job defined in both is merged, the file's keys winning), then
 * each job's `extends` chain merged in: mappings deeply, anything else (arrays too) replaced. Top-level
 * `variables` are every job's defaults, as in GitLab.
 */
export function resolveJobs(
  document: CiDocument,
  included: readonly CiDocument[],
): { jobs: Map<string, CiJob>; problems: CiProblem[] } {
  const merged: Record<string, CiJob> = {};
  let globalVariables: Record<string, unknown> = {};
  for (const source of [...included, document]) {
    if (isMapping(source.variables)) globalVariables = { ...globalVariables, ...source.variables };
    for (const [name, value] of Object.entries(source)) {
      if (GLOBAL_KEYWORDS.has(name) || !isMapping(value)) continue;
      merged[name] = deepMerge(merged[name] ?? {}, value);
    }
  }
  const problems: CiProblem[] = [];
  const resolved = new Map<string, CiJob>();
  const resolve = (name: string, chain: readonly string[]): CiJob => {
    const done = resolved.get(name);
    if (done) return done;
    const job = merged[name]!;
    const parents = job.extends === undefined ? [] : [job.extends].flat();
    let base: CiJob = {};
    for (const parent of parents) {
      if (typeof parent !== "string") continue;
      if (merged[parent] === undefined) {
        problems.push({ job: name, key: "extends", message: `extends ${parent}, which no file defines` });
        continue;
      }
      if (chain.includes(parent)) {
        problems.push({
          job: name,
          key: "extends",
          message: `extends itself through ${[...chain, parent].join(" → ")}`,
        });
        continue;
      }
      base = deepMerge(base, resolve(parent, [...chain, parent]));
    }
    const { extends: _extends, ...own } = job;
    const result = deepMerge(base, own);
    resolved.set(name, result);
    return result;
  };
  for (const name of Object.keys(merged)) resolve(name, [name]);
  // Globals go under each resolved job last, so a parent's own variables are not overwritten by them.
  const jobs = new Map(
    [...resolved].map(([name, job]): [string, CiJob] => [
      name,
      Object.keys(globalVariables).length === 0
        ? job
        : { ...job, variables: { ...globalVariables, ...(isMapping(job.variables) ? job.variables : {}) } },
    ]),
  );
  return { jobs, problems };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
  }
  return result;
}
