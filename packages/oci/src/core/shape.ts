// Checks of the few JSON shapes registries and credential tools send (manifests, configs, Docker's config.json).
// Hand-rolled rather than zod on purpose: a command that reads one manifest would otherwise pay ~25 ms to load
// zod and build its schemas before its first request. Files people write (spec files) keep zod's strictness.

/** One problem, at a path into the value (`["manifests", 0, "digest"]`). */
export interface Problem {
  path: PropertyKey[];
  message: string;
}

/** Adds the problems of `value` (found at `path`) to `problems`. */
export type Check = (value: unknown, path: PropertyKey[], problems: Problem[]) => void;

interface Field {
  check: Check;
  /** "optional": may be absent (not null); "nullish": may be absent or null. */
  presence: "required" | "optional" | "nullish";
}

/** The problems of `value` against `check`; none means it has the shape. */
export function problemsOf(check: Check, value: unknown): Problem[] {
  const problems: Problem[] = [];
  check(value, [], problems);
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function expected(what: string): Check {
  return (value, path, problems) => {
    problems.push({ path, message: `expected ${what}, got ${describe(value)}` });
  };
}

export const string: Check = (value, path, problems) => {
  if (typeof value !== "string") expected("a string")(value, path, problems);
};

export const nonNegativeInteger: Check = (value, path, problems) => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    const shown = typeof value === "number" ? String(value) : describe(value);
    problems.push({ path, message: `expected a non-negative integer, got ${shown}` });
  }
};

export function literal(wanted: string | number): Check {
  return (value, path, problems) => {
    if (value !== wanted) {
      problems.push({ path, message: `expected ${JSON.stringify(wanted)}, got ${JSON.stringify(value)}` });
    }
  };
}

/** `check`, then `valid` on a value that passed it. */
export function refine(check: Check, valid: (value: never) => boolean, message: string): Check {
  return (value, path, problems) => {
    const before = problems.length;
    check(value, path, problems);
    if (problems.length === before && !valid(value as never)) problems.push({ path, message });
  };
}

export function arrayOf(item: Check): Check {
  return (value, path, problems) => {
    if (!Array.isArray(value)) return expected("an array")(value, path, problems);
    value.forEach((element, index) => {
      item(element, [...path, index], problems);
    });
  };
}

/** An object whose every value passes `item` (keys are strings in JSON). */
export function recordOf(item: Check): Check {
  return (value, path, problems) => {
    if (!isPlainObject(value)) return expected("an object")(value, path, problems);
    for (const [key, element] of Object.entries(value)) item(element, [...path, key], problems);
  };
}

export const optional = (check: Check): Field => ({ check, presence: "optional" });
export const nullish = (check: Check): Field => ({ check, presence: "nullish" });

/** An object with these fields; other keys are allowed and kept (registries and tools add their own). */
export function looseObject(fields: Record<string, Check | Field>): Check {
  const entries = Object.entries(fields).map(([key, field]): [string, Field] => [
    key,
    typeof field === "function" ? { check: field, presence: "required" } : field,
  ]);
  return (value, path, problems) => {
    if (!isPlainObject(value)) return expected("an object")(value, path, problems);
    for (const [key, { check, presence }] of entries) {
      const field = value[key];
      if (field === undefined) {
        if (presence === "required") problems.push({ path: [...path, key], message: "is required" });
      } else if (field !== null || presence !== "nullish") {
        check(field, [...path, key], problems);
      }
    }
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
