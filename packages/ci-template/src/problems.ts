/** One thing wrong with a CI file: the job (or top-level keyword) and the key under it, and what is wrong. */
export interface CiProblem {
  /** A job name or top-level keyword; "(file)" for the file as a whole. */
  job: string;
  /** The key path under the job, dot-separated (`needs`, `artifacts.reports.dotenv`); "" for the job itself. */
  key: string;
  message: string;
}

/** `job.key: message`, one per line, in a stable order (by job, then key). */
export function formatCiProblems(problems: readonly CiProblem[]): string {
  return [...problems]
    .sort(
      (a, b) =>
        a.job.localeCompare(b.job) || a.key.localeCompare(b.key) || a.message.localeCompare(b.message),
    )
    .map(
      (problem) =>
        `${problem.key === "" ? problem.job : `${problem.job}.${problem.key}`}: ${problem.message}`,
    )
    .join("\n");
}
