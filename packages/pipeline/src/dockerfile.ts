import { parseReference } from "@polyarch/oci";

/**
 * The registries a Dockerfile's `FROM` lines pull from (pure), so the builder's auth file can hold their
 * credentials too. Stage names, `scratch` and images named through build args (`FROM $BASE`) are skipped:
 * their registry is not known before the build.
 */
export function baseImageRegistries(dockerfile: string): string[] {
  const stages = new Set<string>();
  const registries = new Set<string>();
  for (const line of logicalLines(dockerfile)) {
    const match = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!match) continue;
    const image = match[1] as string;
    if (match[2]) stages.add(match[2].toLowerCase());
    if (image.includes("$") || image === "scratch" || stages.has(image.toLowerCase())) continue;
    try {
      const reference = parseReference(image);
      if (reference.kind === "registry") registries.add(reference.registry);
    } catch {
      // Not a reference polyarch can read: the builder will say what is wrong with it.
    }
  }
  return [...registries];
}

/** Lines with backslash continuations joined and comments dropped. */
function logicalLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}
