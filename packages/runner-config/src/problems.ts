import { formatPath as formatSpecPath, type SpecProblem } from "@polyarch/spec";

/** One thing wrong with a fleet file: where (`runners[1].kubernetes.architectures[2]`) and what is valid. */
export type Problem = SpecProblem;

/** `["runners", 1, "kubernetes", "node_selector", "kubernetes.io/arch"]` → `runners[1].kubernetes.node_selector["kubernetes.io/arch"]` */
export function formatPath(segments: readonly PropertyKey[]): string {
  return formatSpecPath(segments, "(fleet)");
}

/** Problems in document order of their paths, each reported once. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const unique = problems.filter((problem) => {
    const id = `${problem.path}\0${problem.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique.sort((a, b) => comparePaths(a.path, b.path));
}

function comparePaths(a: string, b: string): number {
  const split = (path: string) => path.split(/[.[\]]+/).filter(Boolean);
  const left = split(a);
  const right = split(b);
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const x = left[index]!;
    const y = right[index]!;
    if (x === y) continue;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    return numeric ? Number(x) - Number(y) : x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** The lines a person reads: `path: message`, one problem per line. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n");
}
