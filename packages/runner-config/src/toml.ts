/**
 * A small deterministic TOML 1.0 writer (https://toml.io/en/v1.0.0) for the subset config.toml uses:
 * strings, integers, booleans, arrays of those, tables and arrays of tables, plus comment lines.
 * Written here rather than with @iarna/toml because that one prints integers with digit separators
 * (`output_limit = 4_096`), cannot write comments, and indents nested tables inconsistently.
 */

/** A `# text` line in the place where it appears among a table's keys. */
export class TomlComment {
  constructor(readonly text: string) {}
}

export type TomlScalar = string | number | boolean;
export type TomlValue = TomlScalar | readonly TomlScalar[] | TomlTable | readonly TomlTable[] | TomlComment;
/** Insertion order is output order; `undefined` entries are skipped. */
export interface TomlTable {
  [key: string]: TomlValue | undefined;
}

const INDENT = "  ";

/** Renders `table` as a TOML document ending with a newline. */
export function stringifyToml(table: TomlTable): string {
  const lines: string[] = [];
  writeTable(table, [], 0, lines);
  while (lines[0] === "") lines.shift();
  return `${lines.join("\n")}\n`;
}

function writeTable(table: TomlTable, path: string[], depth: number, lines: string[]): void {
  const indent = INDENT.repeat(depth);
  const subTables: [string, TomlTable][] = [];
  const tableArrays: [string, readonly TomlTable[]][] = [];
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined) continue;
    if (value instanceof TomlComment) lines.push(`${indent}# ${value.text}`);
    else if (isTableArray(value)) tableArrays.push([key, value]);
    else if (isTable(value)) subTables.push([key, value]);
    else lines.push(`${indent}${formatKey(key)} = ${formatValue(value)}`);
  }
  for (const [key, child] of subTables) {
    const childPath = [...path, formatKey(key)];
    if (hasOwnKeys(child) || !hasChildTables(child)) lines.push(`${indent}[${childPath.join(".")}]`);
    writeTable(child, childPath, depth + 1, lines);
  }
  for (const [key, items] of tableArrays) {
    const childPath = [...path, formatKey(key)];
    for (const item of items) {
      lines.push("", `${indent}[[${childPath.join(".")}]]`);
      writeTable(item, childPath, depth + 1, lines);
    }
  }
}

function isTable(value: TomlValue): value is TomlTable {
  return typeof value === "object" && !Array.isArray(value) && !(value instanceof TomlComment);
}

function isTableArray(value: TomlValue): value is readonly TomlTable[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "object");
}

function hasOwnKeys(table: TomlTable): boolean {
  return Object.values(table).some((value) => value !== undefined && !isTable(value) && !isTableArray(value));
}

function hasChildTables(table: TomlTable): boolean {
  return Object.values(table).some((value) => value !== undefined && (isTable(value) || isTableArray(value)));
}

function formatKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : basicString(key);
}

function formatValue(value: TomlScalar | readonly TomlScalar[]): string {
  if (Array.isArray(value)) return `[${value.map((item) => formatValue(item)).join(", ")}]`;
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`TOML writer: ${value} is not a safe integer`);
    return String(value);
  }
  return formatString(value as string);
}

/** Literal strings ('…') where they read better (regular expressions, JSON), basic strings otherwise. */
function formatString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: TOML literal strings cannot hold control characters
  const literalSafe = !/['\u0000-\u001f\u007f]/.test(value);
  return literalSafe && /["\\]/.test(value) ? `'${value}'` : basicString(value);
}

function basicString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: TOML requires control characters to be escaped
  const escaped = value.replace(/["\\\u0000-\u001f\u007f]/g, (character) => {
    const named: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r" };
    return named[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `"${escaped}"`;
}
