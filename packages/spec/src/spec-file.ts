import { PolyarchError } from "@polyarch/errors";
import { closest, distance } from "fastest-levenshtein";
import { type Document, LineCounter, parseDocument, visit } from "yaml";
import { z } from "zod";

/**
 * Spec files people write by hand (sync specs, the helper-image spec) are read strictly: an unknown
 * key is an error naming the key and the closest valid one, and every problem is reported at once,
 * each with the dot-path of where it is (`images[1].tags.latest`).
 */
export interface SpecProblem {
  path: string;
  message: string;
}

export interface StrictObjectOptions {
  /** The schema's description (fleet files publish theirs as JSON Schema). */
  description?: string;
  /** A message of its own for a key that deserves more than a suggestion (a key an older version took). */
  knownMistake?: (key: string) => string | undefined;
}

/**
 * An object schema that refuses unknown keys, suggesting the closest valid key. Users write these files by
 * hand, and a silently ignored typo (`architecure:`) is a runner or a mirror that does the wrong thing.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape, options: StrictObjectOptions = {}) {
  const valid = Object.keys(shape);
  const schema = z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => options.knownMistake?.(key) ?? unknownKeyMessage(key, valid)).join("\n")
        : undefined,
  });
  return options.description === undefined ? schema : schema.describe(options.description);
}

/** A suggestion stands alone when the valid keys are more than a reader takes in at a glance. */
const LISTED_WITH_SUGGESTION = 12;

/**
 * `unknown key; did you mean "tags"? (valid keys: source, target, tags, platforms)`; without a
 * suggestion, every valid key is listed; with one, the list is left out past a dozen keys.
 */
export function unknownKeyMessage(key: string, valid: readonly string[]): string {
  if (valid.length === 0) return "unknown key; this mapping takes no keys";
  const suggestion = closestKey(key, valid);
  const list = `(valid keys: ${valid.join(", ")})`;
  if (suggestion === undefined) return `unknown key ${list}`;
  const mean = `unknown key; did you mean "${suggestion}"?`;
  return valid.length > LISTED_WITH_SUGGESTION ? mean : `${mean} ${list}`;
}

/** One problem per key of an unrecognized-keys issue made by {@link strictObject}, each with its own line. */
export function unknownKeyProblems(issue: {
  keys: readonly string[];
  path: readonly PropertyKey[];
  message: string;
}): SpecProblem[] {
  const lines = issue.message.split("\n");
  return issue.keys.map((key, index) => ({
    path: formatPath([...issue.path, key]),
    message: lines[index] ?? "unknown key",
  }));
}

/**
 * The valid key a typo most likely meant: the same key in other case (or with - for _), else one the
 * typo abbreviates (`repo` → `repository`), else the nearest by edit distance when it is near enough
 * to be a typo at all; undefined when nothing is.
 */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  const lower = key.toLowerCase().replaceAll("-", "_");
  const byLower = new Map(valid.map((candidate) => [candidate.toLowerCase(), candidate]));
  const same = byLower.get(lower);
  if (same !== undefined) return same;
  const extended = valid.filter(
    (candidate) => lower.length >= 3 && candidate.toLowerCase().startsWith(lower),
  );
  if (extended.length > 0) return extended.sort((a, b) => a.length - b.length)[0];
  if (byLower.size === 0) return undefined;
  const nearest = closest(lower, [...byLower.keys()]);
  const tolerance = Math.max(2, Math.floor(key.length / 3));
  return distance(lower, nearest) <= tolerance ? byLower.get(nearest) : undefined;
}

/** `["images", 1, "tags"]` → `images[1].tags` */
export function formatPath(segments: readonly PropertyKey[], root = "(top level)"): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$-]*$/.test(segment))
      path += path === "" ? segment : `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path === "" ? root : path;
}

export type SpecResult<T> = { ok: true; value: T } | { ok: false; problems: SpecProblem[] };

/**
 * YAML text in, the schema's output or every problem out: YAML syntax errors and duplicate keys (with
 * line and column), schema problems, then `check`'s problems (rules that span several keys), which
 * run only when the schema is satisfied.
 */
export function validateSpecText<T>(
  text: string,
  schema: z.ZodType<T>,
  check?: (value: T) => SpecProblem[],
  yamlOptions: YamlTextOptions = {},
): SpecResult<T> {
  const yaml = parseYamlText(text, yamlOptions);
  if (!yaml.ok) return yaml;
  const parsed = schema.safeParse(yaml.value ?? {}, { error: typeMessage });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(toProblems) };
  const problems = check?.(parsed.data) ?? [];
  return problems.length === 0 ? { ok: true, value: parsed.data } : { ok: false, problems };
}

export interface YamlTextOptions {
  /**
   * Every scalar is text (YAML's failsafe schema): `architecture: 386` is "386" and `version: 1.10`
   * stays "1.10", as a Go program reading the file into string fields sees them (manifest-tool).
   */
  scalarsAsText?: boolean;
}

/**
 * YAML text in, plain data or every syntax problem out, duplicate keys included (YAML parsers
 * otherwise resolve them silently), each located by line and column. Anchors, aliases and merge keys
 * (`<<: *defaults`, as GitLab CI files use them) resolve; an alias without its anchor, or so many
 * aliases that expanding them would exhaust memory, is a problem too. One document per file: an empty
 * one (nothing, comments, `~`) reads as null. Only the first line of a parser message is kept: the
 * rest quotes the source, which could hold a secret.
 */
export function parseYamlText(text: string, options: YamlTextOptions = {}): SpecResult<unknown> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: true,
    merge: true,
    lineCounter,
    ...(options.scalarsAsText && { schema: "failsafe" }),
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => {
        const position = error.linePos?.[0];
        const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        return {
          path: position ? `line ${position.line}, column ${position.col}` : "(yaml)",
          message: /multiple documents/.test(message)
            ? "a second YAML document starts here; a spec file holds one (remove the ---)"
            : message,
        };
      }),
    };
  }
  const unresolved = unresolvedAliases(document, lineCounter);
  if (unresolved.length > 0) return { ok: false, problems: unresolved };
  try {
    return { ok: true, value: document.toJS() };
  } catch (error: unknown) {
    // yaml refuses to expand aliases past its resource-exhaustion limit (a "billion laughs" file).
    return {
      ok: false,
      problems: [{ path: "(yaml)", message: error instanceof Error ? error.message : String(error) }],
    };
  }
}

/** Aliases naming no anchor before them: yaml throws on these while converting, without a position. */
function unresolvedAliases(document: Document, lineCounter: LineCounter): SpecProblem[] {
  const problems: SpecProblem[] = [];
  visit(document, {
    Alias(_, alias) {
      if (alias.resolve(document) !== undefined) return;
      const position = lineCounter.linePos(alias.range?.[0] ?? 0);
      problems.push({
        path: `line ${position.line}, column ${position.col}`,
        message: `alias *${alias.source} has no anchor &${alias.source} before it`,
      });
    },
  });
  return problems;
}

/** Like validateSpecText, but throws one POLYARCH_E_BAD_SPEC input error (exit 2) listing every problem. */
export function parseSpecText<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  options: { hint: string; check?: (value: T) => SpecProblem[] } & YamlTextOptions,
): T {
  const result = validateSpecText(text, schema, options.check, options);
  if (result.ok) return result.value;
  const count = result.problems.length;
  throw new PolyarchError(
    "POLYARCH_E_BAD_SPEC",
    `${file} has ${count === 1 ? "a problem" : `${count} problems`}:\n  ${result.problems
      .map((problem) => `${problem.path}: ${problem.message}`)
      .join("\n  ")}`,
    { hint: options.hint },
  );
}

function toProblems(issue: z.core.$ZodIssue): SpecProblem[] {
  if (issue.code === "unrecognized_keys") return unknownKeyProblems(issue);
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/** zod type errors in the words of a YAML author: `is required (a string)`, `must be a list, not a mapping`. */
export function typeMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return `is required (${article(issue.expected)})`;
  return `must be ${article(issue.expected)}, not ${describe(issue.input)}`;
}

function article(type: string): string {
  const word = ({ object: "mapping", array: "list" } as Record<string, string>)[type] ?? type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}
