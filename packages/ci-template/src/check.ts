import { type Platform, parsePlatform } from "@polyarch/oci";
import { archKey } from "@polyarch/pipeline";
import { type Fleet, nodeSelectorOverwriteAllowed } from "@polyarch/runner-config";
import type { CiJob } from "./ci-yaml.ts";
import { expandMatrixJobs, matrixBase } from "./matrix.ts";
import type { CiProblem } from "./problems.ts";

/**
 * The checks GitLab's schema cannot make, on resolved jobs (after include and extends; pure). Hidden
 * jobs (`.name`) are templates and are not checked themselves; a `parallel: matrix` job is checked as
 * the jobs it becomes.
 * - A merge job (`polyarch merge --from-env`) must need every build job (`polyarch build`) of its
 *   POLYARCH_REPOSITORY, with artifacts, and each of those must publish a dotenv report.
 * - The build jobs one merge job needs must not write the same POLYARCH_IMAGE_<ARCH> names.
 * - With a fleet: a job that sets KUBERNETES_NODE_SELECTOR_* must run on a runner (matched by its
 *   tags against the fleet's runner names) whose rendered node_selector_overwrite_allowed accepts it.
 */
export function checkPipeline(jobs: ReadonlyMap<string, CiJob>, fleet?: Fleet): CiProblem[] {
  const visible = [...expandMatrixJobs(jobs)].filter(([name]) => !name.startsWith("."));
  const builds = new Map(visible.filter(([, job]) => runs(job, /\bpolyarch\s+build\b/)));
  // The merge component given a tag template (POLYARCH_TEMPLATE) merges by tag, not from dotenv reports.
  const merges = visible.filter(
    ([, job]) => runs(job, /\bpolyarch\s+merge\b[^\n]*--from-env/) && !variable(job, "POLYARCH_TEMPLATE"),
  );
  const problems: CiProblem[] = [];
  for (const [name, job] of merges) problems.push(...checkMerge(name, job, builds));
  if (fleet) for (const [name, job] of visible) problems.push(...checkNodeSelector(name, job, fleet));
  return problems;
}

function checkMerge(name: string, job: CiJob, builds: ReadonlyMap<string, CiJob>): CiProblem[] {
  const problems: CiProblem[] = [];
  const needs = neededJobs(job);
  if (needs === undefined) {
    return [
      {
        job: name,
        key: "needs",
        message:
          "is missing: polyarch merge --from-env reads the build jobs' dotenv reports; list them in needs",
      },
    ];
  }
  const repository = variable(job, "POLYARCH_REPOSITORY");
  const missed = new Set<string>();
  for (const [buildName, build] of builds) {
    if (repository === undefined || variable(build, "POLYARCH_REPOSITORY") !== repository) continue;
    if (!needs.some((need) => need.job === matrixBase(buildName))) missed.add(matrixBase(buildName));
  }
  for (const buildName of missed)
    problems.push({
      job: name,
      key: "needs",
      message: `misses build job ${buildName} (POLYARCH_REPOSITORY ${repository}): its architecture would be left out of the index`,
    });
  const dependencies = Array.isArray(job.dependencies) ? (job.dependencies as unknown[]) : undefined;
  const writers = new Map<string, string[]>();
  for (const need of needs) {
    const instances = [...builds].filter(([buildName]) => matrixBase(buildName) === need.job);
    if (instances.length === 0) continue;
    if (!need.artifacts)
      problems.push({
        job: name,
        key: "needs",
        message: `needs ${need.job} with artifacts: false, so its POLYARCH_IMAGE_* dotenv never reaches the merge`,
      });
    if (dependencies !== undefined && !dependencies.includes(need.job))
      problems.push({
        job: name,
        key: "dependencies",
        message: `leaves out ${need.job}, so its POLYARCH_IMAGE_* dotenv never reaches the merge`,
      });
    if (dotenvReport(instances[0]![1]) === undefined)
      problems.push({
        job: need.job,
        key: "artifacts.reports.dotenv",
        message: `is missing: merge job ${name} reads this job's POLYARCH_IMAGE_* from its dotenv report`,
      });
    for (const [buildName, build] of instances) {
      const platform = buildPlatform(build);
      if (platform === undefined) continue;
      const dotenvName = `POLYARCH_IMAGE_${archKey(platform)}`;
      writers.set(dotenvName, [...(writers.get(dotenvName) ?? []), buildName]);
    }
  }
  for (const [dotenvName, writerJobs] of writers) {
    if (new Set(writerJobs).size > 1)
      problems.push({
        job: name,
        key: "needs",
        message: `${writerJobs.join(" and ")} all write ${dotenvName}: the dotenv names collide and only one image of that architecture would be merged`,
      });
  }
  return problems;
}

function checkNodeSelector(name: string, job: CiJob, fleet: Fleet): CiProblem[] {
  const selectors = Object.entries(variables(job)).filter(([key]) =>
    key.startsWith("KUBERNETES_NODE_SELECTOR_"),
  );
  if (selectors.length === 0) return [];
  const tags = Array.isArray(job.tags)
    ? job.tags.filter((tag): tag is string => typeof tag === "string")
    : [];
  const runner = fleet.runners.find((candidate) => tags.includes(candidate.name));
  if (runner === undefined)
    return [
      {
        job: name,
        key: "tags",
        message: `${JSON.stringify(tags)} name no runner of the fleet (${fleet.runners.map((r) => r.name).join(", ")}), so its node selector cannot be checked; tag the job with the runner's name`,
      },
    ];
  if (runner.executor !== "kubernetes")
    return selectors.map(([key]) => ({
      job: name,
      key: `variables.${key}`,
      message: `runner ${runner.name} uses the ${runner.executor} executor, which has no node selector: the job would run wherever that runner is`,
    }));
  const allowed = nodeSelectorOverwriteAllowed(runner.kubernetes.architectures);
  return selectors
    .filter(([, value]) => typeof value !== "string" || !new RegExp(allowed).test(value))
    .map(([key, value]) => ({
      job: name,
      key: `variables.${key}`,
      message: `${JSON.stringify(value)} is refused by runner ${runner.name}, rendered with node_selector_overwrite_allowed = "${allowed}"; add the architecture to its kubernetes.architectures`,
    }));
}

interface Need {
  job: string;
  artifacts: boolean;
}

function neededJobs(job: CiJob): Need[] | undefined {
  if (!Array.isArray(job.needs)) return undefined;
  return job.needs.flatMap((need: unknown): Need[] => {
    if (typeof need === "string") return [{ job: need, artifacts: true }];
    if (need !== null && typeof need === "object" && typeof (need as { job?: unknown }).job === "string") {
      const { job: needed, artifacts } = need as { job: string; artifacts?: unknown };
      return [{ job: needed, artifacts: artifacts !== false }];
    }
    return [];
  });
}

function variables(job: CiJob): Record<string, unknown> {
  const value = job.variables;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  // A variable may be { value, description }.
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [
      key,
      entry !== null && typeof entry === "object" ? (entry as { value?: unknown }).value : entry,
    ]),
  );
}

function variable(job: CiJob, name: string): string | undefined {
  const value = variables(job)[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

function scriptLines(job: CiJob): string[] {
  const script = job.script;
  return (Array.isArray(script) ? script.flat(8) : [script]).filter(
    (line): line is string => typeof line === "string",
  );
}

function runs(job: CiJob, command: RegExp): boolean {
  return scriptLines(job).some((line) => command.test(line));
}

function dotenvReport(job: CiJob): unknown {
  const artifacts = job.artifacts as { reports?: { dotenv?: unknown } } | undefined;
  return artifacts?.reports?.dotenv;
}

/**
 * The platform a build job builds: POLYARCH_PLATFORM (a matrix's values are among its variables by now),
 * else the architecture its node selector asks for. Unknown (none found, or a $VARIABLE): undefined.
 */
function buildPlatform(job: CiJob): Platform | undefined {
  const selector = variable(job, "KUBERNETES_NODE_SELECTOR_ARCH")?.match(
    /^kubernetes\.io\/arch=([a-z0-9]+)$/,
  )?.[1];
  const value = variable(job, "POLYARCH_PLATFORM") ?? (selector && `linux/${selector}`);
  if (value === undefined || value.includes("$")) return undefined;
  try {
    return parsePlatform(value);
  } catch {
    return undefined;
  }
}
