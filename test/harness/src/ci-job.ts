import { parse } from "yaml";

/** What a runner receives of a CI job: the script's lines and the job's variables. */
export interface CiJobPayload {
  script: string[];
  variables: Record<string, string>;
}

/**
 * The job `name` of a CI file's text (`polyarch ci template`'s output) as GitLab hands it to a runner for
 * one `parallel: matrix` entry: its script as written, and its variables with the entry's values added and
 * `$NAME`/`${NAME}` references to them expanded, as GitLab expands a variable's references.
 */
export function ciJobPayload(
  ciFileText: string,
  name: string,
  matrix: Readonly<Record<string, string>> = {},
): CiJobPayload {
  const job = (parse(ciFileText) as Record<string, unknown>)[name] as
    | { script?: unknown; variables?: Record<string, unknown> }
    | undefined;
  if (!job || !Array.isArray(job.script)) throw new Error(`the CI file has no job ${name} with a script`);
  const expand = (value: string) =>
    value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (reference, variable: string) =>
      Object.hasOwn(matrix, variable) ? (matrix[variable] as string) : reference,
    );
  const variables: Record<string, string> = { ...matrix };
  for (const [key, value] of Object.entries(job.variables ?? {})) variables[key] = expand(String(value));
  return { script: job.script.map(String), variables };
}
