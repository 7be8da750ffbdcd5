import type { CiJob } from "./ci-yaml.ts";

/**
 * The jobs as GitLab runs them (pure): each `parallel: matrix` job becomes one job per combination of its
 * matrix values, named `job: [v1, v2]`, with the matrix variables among its variables and `$NAME` /
 * `${NAME}` of them expanded in its other variables and its tags (as GitLab expands them there).
 * https://docs.gitlab.com/ci/yaml/#parallelmatrix
 */
export function expandMatrixJobs(jobs: ReadonlyMap<string, CiJob>): Map<string, CiJob> {
  const expanded = new Map<string, CiJob>();
  for (const [name, job] of jobs) {
    const matrix = (job.parallel as { matrix?: unknown } | undefined)?.matrix;
    if (!Array.isArray(matrix)) {
      expanded.set(name, job);
      continue;
    }
    for (const combination of matrix.flatMap(combinations)) {
      const { parallel: _, ...rest } = job;
      const expand = (value: unknown) =>
        typeof value === "string"
          ? value.replaceAll(/\$\{?(\w+)\}?/g, (whole, variable: string) => combination[variable] ?? whole)
          : value;
      const variables =
        job.variables !== null && typeof job.variables === "object" ? (job.variables as CiJob) : {};
      expanded.set(`${name}: [${Object.values(combination).join(", ")}]`, {
        ...rest,
        ...(Array.isArray(job.tags) && { tags: job.tags.map(expand) }),
        variables: {
          ...Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, expand(value)])),
          ...combination,
        },
      });
    }
  }
  return expanded;
}

/** The job a matrix instance came from (`build: [amd64]` → `build`), as `needs` names it. */
export function matrixBase(name: string): string {
  return name.replace(/: \[[^\]]*\]$/, "");
}

/** Every combination of one matrix entry's values: `{ A: [1, 2], B: x }` → `{A:1,B:x}`, `{A:2,B:x}`. */
function combinations(entry: unknown): Array<Record<string, string>> {
  if (entry === null || typeof entry !== "object") return [];
  let result: Array<Record<string, string>> = [{}];
  for (const [key, value] of Object.entries(entry)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    result = result.flatMap((partial) => values.map((item) => ({ ...partial, [key]: item })));
  }
  return result;
}
