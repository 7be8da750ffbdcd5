import { Document } from "yaml";

/** A job as the template writes it; keys appear in the order they are set. */
export type CiJob = Record<string, unknown>;
/** A CI file: job names (and top-level keywords) to their values. */
export type CiDocument = Record<string, unknown>;

/**
 * A CI document as YAML text: keys in insertion order (the template builders set them in the order a
 * reader wants: image, stage, needs, tags, variables, script, artifacts), a comment header, no line
 * folding (a folded script line would change the shell command), a blank line between jobs, and a
 * trailing newline. Same document, same bytes.
 */
export function renderCiYaml(header: readonly string[], document: CiDocument): string {
  const yaml = new Document(stripUndefined(document));
  for (const pair of (yaml.contents as { items: Array<{ key: { spaceBefore?: boolean } }> }).items.slice(1)) {
    pair.key.spaceBefore = true;
  }
  const body = yaml.toString({ lineWidth: 0, indentSeq: true });
  return `${header.map((line) => (line === "" ? "#" : `# ${line}`)).join("\n")}\n${body}`;
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .map(([key, entry]) => [key, stripUndefined(entry)]),
    );
  return value;
}
