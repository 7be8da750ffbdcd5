import { readFile } from "node:fs/promises";
import path from "node:path";
import { PolyarchError } from "@polyarch/errors";
import { parseYamlText } from "@polyarch/spec";
import type { CiFile } from "./check-file.ts";
import type { CiDocument } from "./ci-yaml.ts";
import {
  type ComponentInclude,
  componentIncludes,
  isOwnComponent,
  parseComponentAddress,
} from "./components/include.ts";
import { localIncludes } from "./resolve.ts";

/** A component file an include names, read from the project or the checkout given for components. */
export interface IncludedComponent {
  include: ComponentInclude;
  path: string;
  text: string;
}

/**
 * Reads a CI file and, recursively, the files it includes with `include: local:` (paths relative to the
 * project directory, as GitLab resolves them), and the component files its `include: component:` entries
 * name: from the project itself when the address is `$CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA`
 * (a component project's own pipeline), or from `componentsDir` (a checkout of the component project) for
 * any other address. Remote, project and template includes, and components elsewhere, are not fetched:
 * their jobs are not checked (`unread` names those components).
 */
export async function loadCiFiles(
  file: string,
  projectDir: string,
  read: (absolute: string) => Promise<string> = (absolute) => readFile(absolute, "utf8"),
  componentsDir?: string,
): Promise<{ main: CiFile; included: CiFile[]; components: IncludedComponent[]; unread: string[] }> {
  const main = { path: file, text: await readCi(path.resolve(projectDir, file), file, read) };
  const included: CiFile[] = [];
  const seen = new Set<string>();
  const queue = includesOf(main.text);
  while (queue.length > 0) {
    const include = queue.shift()!;
    const relative = include.replace(/^\/+/, "");
    if (seen.has(relative)) continue;
    seen.add(relative);
    const text = await readCi(path.resolve(projectDir, relative), `${relative} (included by ${file})`, read);
    included.push({ path: relative, text });
    queue.push(...includesOf(text));
  }
  const components: IncludedComponent[] = [];
  const unread: string[] = [];
  for (const include of [main, ...included].flatMap((entry) => componentIncludesOf(entry.text))) {
    const name = parseComponentAddress(include.address)?.name;
    const root = isOwnComponent(include.address) ? projectDir : componentsDir;
    if (name === undefined || root === undefined) unread.push(include.address);
    else components.push({ include, ...(await readComponent(root, name, include.address, read)) });
  }
  return { main, included, components, unread };
}

/** `templates/<name>.yml` or `templates/<name>/template.yml`, as GitLab looks for a component. */
async function readComponent(
  root: string,
  name: string,
  address: string,
  read: (absolute: string) => Promise<string>,
): Promise<{ path: string; text: string }> {
  const candidates = [`templates/${name}.yml`, `templates/${name}/template.yml`];
  for (const candidate of candidates) {
    try {
      return { path: candidate, text: await read(path.resolve(root, candidate)) };
    } catch {
      // Not this layout: try the other one.
    }
  }
  throw new PolyarchError(
    "POLYARCH_E_CI_FILE_UNREADABLE",
    `component ${address}: neither ${candidates.join(" nor ")} exists in ${root}`,
    {
      hint: "name a component of the project (templates/<name>.yml), or give its checkout with --components-from",
    },
  );
}

function documentOf(text: string): CiDocument | undefined {
  const parsed = parseYamlText(text);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== "object") return undefined;
  return parsed.value as CiDocument;
}

function includesOf(text: string): string[] {
  const document = documentOf(text);
  return document ? localIncludes(document) : [];
}

function componentIncludesOf(text: string): ComponentInclude[] {
  const document = documentOf(text);
  return document ? componentIncludes(document) : [];
}

async function readCi(
  absolute: string,
  shown: string,
  read: (absolute: string) => Promise<string>,
): Promise<string> {
  try {
    return await read(absolute);
  } catch {
    throw new PolyarchError("POLYARCH_E_CI_FILE_UNREADABLE", `CI file ${shown} cannot be read`, {
      hint: "give the path of a .gitlab-ci.yml; local includes are read relative to --project-dir",
    });
  }
}
