import { readFile } from "node:fs/promises";
import path from "node:path";
import { PolyarchError } from "@polyarch/oci";
import { parseYamlText } from "@polyarch/spec";
import type { CiFile } from "./check-file.ts";
import type { CiDocument } from "./ci-yaml.ts";
import { localIncludes } from "./resolve.ts";

/**
 * Reads a CI file and, recursively, the files it includes with `include: local:` (paths relative to the
 * project directory, as GitLab resolves them). Remote, project, template and component includes are not
 * fetched: their jobs are not checked.
 */
export async function loadCiFiles(
  file: string,
  projectDir: string,
  read: (absolute: string) => Promise<string> = (absolute) => readFile(absolute, "utf8"),
): Promise<{ main: CiFile; included: CiFile[] }> {
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
  return { main, included };
}

function includesOf(text: string): string[] {
  const parsed = parseYamlText(text);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== "object") return [];
  return localIncludes(parsed.value as CiDocument);
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
