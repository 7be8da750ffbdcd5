import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  COMPONENTS,
  checkCiFiles,
  formatCiProblems,
  loadCiFiles,
  parseInputFlag,
  renderComponentFile,
  renderComponentJobs,
} from "@polyarch/ci-template";
import { PolyarchError } from "@polyarch/errors";
import { formatProblems, validateFleetYaml } from "@polyarch/runner-config";
import type { Io } from "../output.ts";
import { polyarchVersion } from "../version.ts";

export interface CiTemplateOptions {
  /** The CI/CD component whose jobs to write. @default "multi-arch-image" */
  component?: string;
  /** KEY=VALUE inputs of the component. */
  input?: string[];
  /** Write here instead of stdout. */
  out?: string;
}

/**
 * `polyarch ci template`: a CI/CD component's jobs with its inputs filled in (the jobs `include:
 * component:` gives, for instances without the Catalog); prints them, or writes them to --out.
 */
export async function ciTemplate(options: CiTemplateOptions, io: Io): Promise<string> {
  const given = Object.fromEntries((options.input ?? []).map(parseInputFlag));
  const content = renderComponentJobs(options.component ?? "multi-arch-image", given, polyarchVersion());
  return options.out === undefined ? content : await writeAtomically(io, options.out, content);
}

/** `polyarch ci components --out DIR`: writes every component file, templates/<name>.yml. */
export async function ciComponents(options: { out: string }, io: Io): Promise<string> {
  const written: string[] = [];
  for (const component of COMPONENTS) {
    const file = path.join(options.out, `${component.name}.yml`);
    written.push(await writeAtomically(io, file, renderComponentFile(component)));
  }
  return written.join("");
}

async function writeAtomically(io: Io, file: string, content: string): Promise<string> {
  const target = path.resolve(io.cwd, file);
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, target);
  return `wrote ${file}\n`;
}

export interface CiCheckOptions {
  /** Fleet file: check node-selector jobs against the runners it renders. */
  fleet?: string;
  /** Where `include: local:` paths start. @default the git top-level of the file's directory, else that directory */
  projectDir?: string;
  /** A checkout of the component project other `include: component:` addresses name. */
  componentsFrom?: string;
}

/** `polyarch ci check FILE`: every problem, as one POLYARCH_E_CI_INVALID (exit 2); a summary when there is none. */
export async function ciCheck(file: string, options: CiCheckOptions, io: Io): Promise<string> {
  const projectDir =
    options.projectDir === undefined
      ? await repositoryRoot(path.dirname(path.resolve(io.cwd, file)))
      : path.resolve(io.cwd, options.projectDir);
  const { main, included, components, unread } = await loadCiFiles(
    path.relative(projectDir, path.resolve(io.cwd, file)),
    projectDir,
    undefined,
    options.componentsFrom === undefined ? undefined : path.resolve(io.cwd, options.componentsFrom),
  );
  const fleet =
    options.fleet === undefined
      ? undefined
      : await readFleet(path.resolve(io.cwd, options.fleet), options.fleet);
  const problems = checkCiFiles({ ...main, path: file }, included, fleet, components);
  if (problems.length > 0) {
    const count = problems.length;
    throw new PolyarchError(
      "POLYARCH_E_CI_INVALID",
      `${file}: ${count} ${count === 1 ? "problem" : "problems"}\n${formatCiProblems(problems)
        .split("\n")
        .map((line) => `  ${line}`)
        .join("\n")}`,
      { hint: "fix the jobs and keys above; polyarch ci template --help shows a working project" },
    );
  }
  const files = [file, ...included.map((entry) => entry.path), ...components.map((entry) => entry.path)];
  const notes = unread.map(
    (address) => `not checked: component ${address} (give --components-from a checkout of its project)\n`,
  );
  return `${files.join(", ")}: valid (GitLab CI schema and polyarch's pipeline checks${fleet ? ", against the fleet" : ""})\n${notes.join("")}`;
}

/**
 * Where GitLab starts `include: local:` paths: the repository's root, the nearest directory up from `dir`
 * holding `.git` (a directory, or the file a worktree or submodule has), else `dir` itself. Looked up rather
 * than asked of git, which the tool image does not have.
 */
async function repositoryRoot(dir: string): Promise<string> {
  for (let current = dir; ; current = path.dirname(current)) {
    const holdsGit = await stat(path.join(current, ".git")).then(
      () => true,
      () => false,
    );
    if (holdsGit) return current;
    if (path.dirname(current) === current) return dir;
  }
}

async function readFleet(absolute: string, shown: string) {
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch {
    throw new PolyarchError("POLYARCH_E_FLEET_UNREADABLE", `fleet file ${shown} cannot be read`, {
      hint: "give the path of the fleet file polyarch render reads",
    });
  }
  const validation = validateFleetYaml(text);
  if (!validation.ok)
    throw new PolyarchError("POLYARCH_E_FLEET_INVALID", `${shown}:\n${formatProblems(validation.problems)}`, {
      hint: "fix the fleet file first: polyarch render --check shows the same problems",
    });
  return validation.fleet;
}
