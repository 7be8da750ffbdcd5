import { readdirSync, readFileSync } from "node:fs";
import type { DecodedType, RunnerStructs } from "../../reference/runner-structs.ts";

const REFERENCE_DIR = new URL("../../reference/", import.meta.url);

/** gitlab-runner's structs at every tag extracted into reference/ (each one a supported pin), oldest first. */
export function extractedRunnerStructs(): RunnerStructs[] {
  return readdirSync(REFERENCE_DIR)
    .filter((name) => /^gitlab-runner-v[\d.]+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(new URL(name, REFERENCE_DIR), "utf8")) as RunnerStructs)
    .sort((a, b) => compareVersions(a.source.tag, b.source.tag));
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((tag) => tag.replace(/^v/, "").split(".").map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! - y![i]!;
  return 0;
}

/**
 * Settings whose value gitlab-runner checks against one of its lists (reference valueLists), by
 * `<struct>.<key>`: KubernetesSeccompProfile.toAPI in common/config.go drops a profile whose type is not in
 * validSeccompProfileTypes, leaving the pod without one.
 */
const CHECKED_AGAINST: Record<string, string> = {
  "common.KubernetesSeccompProfile.type": "common.validSeccompProfileTypes",
};

/**
 * Every key of a parsed config.toml (smol-toml, integers as BigInt so that `1` and `1.0` differ) that
 * gitlab-runner's structs at one tag do not have, and every value BurntSushi/toml would not decode into
 * the field's Go type or is not in the list the runner checks it against; empty when the runner reads all of it. Keys match exactly: BurntSushi/toml would
 * also take a key that differs only in case, but the runner's own spelling is the one to write.
 */
export function runnerConfigProblems(config: Record<string, unknown>, reference: RunnerStructs): string[] {
  const problems: string[] = [];
  check(config, { kind: "table", struct: reference.root }, "", reference, problems);
  return problems;
}

function check(
  value: unknown,
  type: DecodedType,
  path: string,
  reference: RunnerStructs,
  problems: string[],
) {
  const at = path === "" ? "(top level)" : path;
  const wrong = (expected: string) =>
    problems.push(
      `${at}: ${describe(value)} where gitlab-runner ${reference.source.tag} decodes ${expected}`,
    );
  switch (type.kind) {
    case "string":
    case "text":
      if (typeof value !== "string") wrong(type.kind === "text" ? `a string (${type.go})` : "a string");
      return;
    case "boolean":
      if (typeof value !== "boolean") wrong("a boolean");
      return;
    case "integer":
      if (typeof value !== "bigint") wrong("an integer");
      return;
    case "float":
      if (typeof value !== "number" && typeof value !== "bigint") wrong("a float");
      return;
    case "duration":
      if (typeof value !== "string" && typeof value !== "bigint") wrong("a duration (string or integer)");
      return;
    case "datetime":
      if (!isDateTime(value)) wrong("a date-time");
      return;
    case "any":
      return;
    case "array":
      if (!Array.isArray(value)) return wrong("an array");
      value.forEach((item, index) => {
        check(item, type.items, `${path}[${index}]`, reference, problems);
      });
      return;
    case "map":
      if (!isTable(value)) return wrong("a table (map)");
      for (const [key, item] of Object.entries(value))
        check(item, type.values, join(path, key), reference, problems);
      return;
    case "table": {
      if (!isTable(value)) return wrong(`a table (${type.struct})`);
      const fields = reference.structs[type.struct]?.fields;
      if (fields === undefined)
        throw new Error(`${reference.source.tag}: no struct ${type.struct} in the data`);
      for (const [key, item] of Object.entries(value)) {
        const field = fields[key];
        if (field === undefined)
          problems.push(
            `${join(path, key)}: gitlab-runner ${reference.source.tag} has no such key (${type.struct} has ${Object.keys(fields).join(", ")})`,
          );
        else {
          check(item, field.type, join(path, key), reference, problems);
          const listName = CHECKED_AGAINST[`${type.struct}.${key}`];
          if (listName === undefined) continue;
          const list = reference.valueLists[listName];
          if (list === undefined)
            throw new Error(`${reference.source.tag}: no value list ${listName} in the data`);
          if (!list.includes(item as string))
            problems.push(
              `${join(path, key)}: ${describe(item)} is not one gitlab-runner ${reference.source.tag} accepts (${listName}: ${list.join(", ")})`,
            );
        }
      }
      return;
    }
    case "custom":
    case "external":
    case "unsupported":
      problems.push(
        `${at}: decoded into ${type.go} (${type.kind}), which this check cannot verify; extend it`,
      );
  }
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return path === "" ? part : `${path}.${part}`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype; // smol-toml's tables have no prototype
}

function isDateTime(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isTable(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (isTable(value)) return "a table";
  if (typeof value === "bigint") return `the integer ${value}`;
  return `the ${typeof value} ${JSON.stringify(value)}`;
}
