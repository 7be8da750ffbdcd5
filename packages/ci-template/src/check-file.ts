import type { Fleet } from "@polyarch/runner-config";
import { parseYamlText } from "@polyarch/spec";
import { checkPipeline } from "./check.ts";
import type { CiDocument } from "./ci-yaml.ts";
import { includeComponent } from "./components/include.ts";
import type { IncludedComponent } from "./load.ts";
import type { CiProblem } from "./problems.ts";
import { resolveJobs } from "./resolve.ts";
import { validateCiSchema } from "./schema.ts";

/** A CI file's path (as the user or an include named it) and its text. */
export interface CiFile {
  path: string;
  text: string;
}

/**
 * Every problem of a CI file and the local files it includes (pure): YAML syntax, GitLab's schema for
 * each file, then the pipeline checks on the jobs after include and extends. Problems in an included
 * file name that file. A component's inputs are checked against its `spec: inputs:` first; its jobs,
 * interpolated, are checked as an included file.
 */
export function checkCiFiles(
  main: CiFile,
  included: readonly CiFile[],
  fleet?: Fleet,
  components: readonly IncludedComponent[] = [],
): CiProblem[] {
  const problems: CiProblem[] = [];
  const documents: CiDocument[] = [];
  const componentFiles: CiFile[] = [];
  for (const component of components) {
    const result = includeComponent(component.include, component.path, component.text, "");
    problems.push(...result.problems);
    if (result.file) componentFiles.push(result.file);
  }
  if (problems.length > 0) return problems;
  for (const file of [main, ...included, ...componentFiles]) {
    const inFile = (problem: CiProblem): CiProblem =>
      file === main ? problem : { ...problem, message: `${problem.message} (in ${file.path})` };
    const parsed = parseYamlText(file.text);
    if (!parsed.ok) {
      problems.push(
        ...parsed.problems.map((p) => inFile({ job: "(file)", key: p.path, message: p.message })),
      );
      continue;
    }
    if (parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
      problems.push(inFile({ job: "(file)", key: "", message: "is not a mapping of jobs and keywords" }));
      continue;
    }
    problems.push(...validateCiSchema(parsed.value).map(inFile));
    documents.push(parsed.value as CiDocument);
  }
  if (problems.length > 0) return problems;
  const [document, ...rest] = documents;
  const { jobs, problems: resolveProblems } = resolveJobs(document!, rest);
  return [...resolveProblems, ...checkPipeline(jobs, fleet)];
}
