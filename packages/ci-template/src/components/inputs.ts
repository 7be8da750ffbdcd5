import { closestKey } from "@polyarch/spec";
import type { CiProblem } from "../problems.ts";
import type { ComponentInput } from "./component.ts";
import type { InputValue } from "./interpolate.ts";

/**
 * Regular-expression syntax that RE2 (GitLab's `regex:`) and JavaScript read differently or only one of
 * them reads. A `regex:` holding none of these means the same to both, so checking it here in JavaScript
 * agrees with GitLab.
 */
const NOT_PORTABLE: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /\(\?<?[=!]/, what: "lookaround ((?=, (?!, (?<=, (?<!): JavaScript only" },
  { pattern: /\\[1-9]|\\k</, what: "backreferences: JavaScript only" },
  { pattern: /\(\?P?<[A-Za-z]|\(\?P=/, what: "named groups: spelled differently" },
  { pattern: /\(\?[imsU-]+[):]/, what: "inline flags ((?i)): RE2 only" },
  { pattern: /\\[AZzQEpPC]/, what: "\\A \\Z \\z \\Q \\E \\p \\C: differ or exist in one only" },
  { pattern: /\[\[:/, what: "POSIX classes ([[:alpha:]]): RE2 only" },
  { pattern: /\\[ux]\{|\\u[0-9a-fA-F]{4}|\\c/, what: "\\x{…}, \\u and \\c escapes: differ" },
];

/** Why a `regex:` may not mean the same to RE2 and JavaScript, or undefined when it does. */
export function unportableRegex(regex: string): string | undefined {
  return NOT_PORTABLE.find(({ pattern }) => pattern.test(regex))?.what;
}

/**
 * The problems of the inputs an include gives a component, checked against its `spec: inputs:` as GitLab
 * checks them when it creates the pipeline (pure): an unknown input (with the closest name), a missing
 * required one, a wrong type, a value outside `options`, a value `regex` refuses. `where` names the
 * include in each problem. Returns the inputs with their defaults when there is no problem.
 */
export function checkInputs(
  spec: Readonly<Record<string, ComponentInput>>,
  given: Readonly<Record<string, unknown>>,
  where: string,
): { values: Record<string, InputValue>; problems: CiProblem[] } {
  const problems: CiProblem[] = [];
  const problem = (name: string, message: string) =>
    problems.push({ job: "include", key: `${where}.inputs.${name}`, message });
  const names = Object.keys(spec);
  for (const name of Object.keys(given)) {
    if (spec[name] !== undefined) continue;
    const closest = closestKey(name, names);
    problem(
      name,
      `unknown input${closest ? `; did you mean ${closest}?` : ""} (the component's inputs: ${names.join(", ")})`,
    );
  }
  const values: Record<string, InputValue> = {};
  for (const [name, declared] of Object.entries(spec)) {
    const value = given[name] ?? declared.default;
    if (value === undefined) {
      problem(name, `required: the component has no default for it (${declared.description})`);
      continue;
    }
    const type = declared.type ?? "string";
    if (!hasType(value, type)) {
      problem(name, `${JSON.stringify(value)} is not a${type === "array" ? "n" : ""} ${type}`);
      continue;
    }
    const items = Array.isArray(value) ? value : [value];
    if (declared.options && !items.every((item) => declared.options!.includes(item as string))) {
      problem(name, `${JSON.stringify(value)} is not one of the options: ${declared.options.join(", ")}`);
      continue;
    }
    if (declared.regex !== undefined) {
      const unportable = unportableRegex(declared.regex);
      if (unportable !== undefined) {
        problem(name, `the component's regex ${declared.regex} is not checked here: ${unportable}`);
      } else if (!new RegExp(declared.regex).test(String(value))) {
        problem(name, `${JSON.stringify(value)} does not match the component's regex ${declared.regex}`);
        continue;
      }
    }
    values[name] = value as InputValue;
  }
  return { values, problems };
}

function hasType(value: unknown, type: NonNullable<ComponentInput["type"]>): boolean {
  if (type === "array") return Array.isArray(value);
  if (type === "number") return typeof value === "number";
  return typeof value === type;
}
