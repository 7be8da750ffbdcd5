/**
 * Extracts the config.toml keys gitlab-runner reads, with their Go types, from gitlab-runner's own source:
 * `common.Config` in common/config.go and every struct its fields reach, in `common` and in the packages
 * of gitlab-runner's module it imports (cache/cacheconfig, helpers/docker, referees, …), and in the
 * dependencies given with --module (k8s.io/api: `[]api.Capability`). Types of other modules are recorded
 * as external, not followed.
 *
 * Usage (GIT_DIR is a clone or bare mirror of gitlab-runner, e.g. the `fetch` of github:gitlabhq/gitlab-runner;
 * each --module gives a mirror of a dependency to follow, read at the version gitlab-runner's go.mod requires):
 *   bash .ci/pnpm --filter @polyarch/runner-config reference GIT_DIR v18.5.0 v18.9.0 v18.11.0 … \
 *     --module k8s.io/api=K8S_API_GIT_DIR
 * writes packages/runner-config/reference/gitlab-runner-<tag>.json for each tag.
 *
 * Keys follow BurntSushi/toml, the decoder gitlab-runner uses: the `toml:"name"` tag, else the field
 * name; `toml:"-"` and unexported fields are skipped; an embedded struct without a tag name has its keys
 * promoted, shallower keys winning (as encoding/json's field rules, which BurntSushi/toml follows).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import {
  formatGoType,
  type GoField,
  type GoFile,
  type GoListElement,
  type GoType,
  type GoTypeSpec,
  scanGoFile,
  tagValue,
} from "./go-structs.ts";
import type { DecodedType, RunnerField, RunnerStructs } from "./runner-structs.ts";

const ROOT = { dir: "common", name: "Config" };
const BUILTIN: Record<string, DecodedType["kind"]> = {
  string: "string",
  bool: "boolean",
  float32: "float",
  float64: "float",
  any: "any",
  ...Object.fromEntries(
    ["", "8", "16", "32", "64"].flatMap((bits) => [
      [`int${bits}`, "integer"],
      [`uint${bits}`, "integer"],
    ]),
  ),
  byte: "integer",
  rune: "integer",
};

interface GoPackage {
  /** How the data file names the package: its directory in gitlab-runner, else its import path. */
  id: string;
  source: ModuleSource;
  types: Map<string, GoTypeSpec & { imports: Map<string, string> }>;
  methods: Map<string, Set<string>>;
  constants: Map<string, string>;
  lists: Map<string, { elements: GoListElement[]; imports: Map<string, string> }>;
}

/** Where a type expression is read: its package, its file and that file's imports. */
interface Scope {
  pkg: GoPackage;
  imports: Map<string, string>;
  file: string;
}

/** A Go module read from a git mirror at one commit. */
interface ModuleSource {
  module: string;
  gitDir: string;
  version: string;
  commit: string;
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
}

export function extractRunnerStructs(
  gitDir: string,
  tag: string,
  dependencyMirrors: ReadonlyMap<string, string> = new Map(),
): RunnerStructs {
  const commit = git(gitDir, "rev-parse", `${tag}^{commit}`).trim();
  const goMod = git(gitDir, "show", `${commit}:go.mod`);
  const module = /^module\s+(\S+)/m.exec(goMod)?.[1];
  if (module === undefined) throw new Error(`${tag}: go.mod names no module`);
  const runner: ModuleSource = { module, gitDir, version: tag, commit };
  const dependencies = [...dependencyMirrors].map(([name, mirror]): ModuleSource => {
    const version = new RegExp(`^\\s*(?:require\\s+)?${name.replaceAll(".", "\\.")}\\s+(v\\S+)`, "m").exec(
      goMod,
    )?.[1];
    if (version === undefined) throw new Error(`${tag}: go.mod does not require ${name}`);
    return {
      module: name,
      gitDir: mirror,
      version,
      commit: git(mirror, "rev-parse", `${version}^{commit}`).trim(),
    };
  });
  /** The module and directory of an import path, if its source is here. */
  const locate = (path: string): { source: ModuleSource; dir: string } | undefined => {
    for (const source of [runner, ...dependencies])
      if (path.startsWith(`${source.module}/`)) return { source, dir: path.slice(source.module.length + 1) };
    return undefined;
  };
  const packages = new Map<string, GoPackage>();
  const structs: RunnerStructs["structs"] = {};
  const pending: Array<{ id: string; fields: GoField[]; scope: Scope }> = [];

  const loadPackage = (source: ModuleSource, dir: string): GoPackage => {
    const id = source === runner ? dir : `${source.module}/${dir}`;
    const known = packages.get(id);
    if (known !== undefined) return known;
    const files = git(source.gitDir, "ls-tree", "--name-only", source.commit, `${dir}/`)
      .split("\n")
      .filter((path) => path.endsWith(".go") && !path.endsWith("_test.go"));
    if (files.length === 0) throw new Error(`${tag}: no Go files in ${id}`);
    const pkg: GoPackage = {
      id,
      source,
      types: new Map(),
      methods: new Map(),
      constants: new Map(),
      lists: new Map(),
    };
    for (const path of files) {
      const scanned: GoFile = scanGoFile(git(source.gitDir, "show", `${source.commit}:${path}`), path);
      for (const spec of scanned.types) {
        const earlier = pkg.types.get(spec.name);
        if (earlier !== undefined && JSON.stringify(earlier.type) !== JSON.stringify(spec.type))
          throw new Error(
            `${tag}: ${id}.${spec.name} is declared differently in ${earlier.file} and ${path}`,
          );
        pkg.types.set(spec.name, { ...spec, imports: scanned.imports });
      }
      for (const [name, value] of scanned.constants) pkg.constants.set(name, value);
      for (const [name, elements] of scanned.lists)
        pkg.lists.set(name, { elements, imports: scanned.imports });
      for (const [receiver, methods] of scanned.methods) {
        const set = pkg.methods.get(receiver) ?? new Set<string>();
        for (const method of methods) set.add(method);
        pkg.methods.set(receiver, set);
      }
    }
    packages.set(id, pkg);
    return pkg;
  };

  /** The package and declaration a (possibly qualified) type name refers to, if its source is here. */
  const lookUp = (
    type: Extract<GoType, { kind: "name" }>,
    scope: Scope,
  ): { spec: GoTypeSpec; scope: Scope } | undefined => {
    let owner = scope.pkg;
    if (type.pkg !== undefined) {
      const path = scope.imports.get(type.pkg);
      const located = path === undefined ? undefined : locate(path);
      if (located === undefined) return undefined;
      owner = loadPackage(located.source, located.dir);
    }
    const spec = owner.types.get(type.name);
    return spec === undefined
      ? undefined
      : { spec, scope: { pkg: owner, imports: spec.imports, file: spec.file } };
  };

  /** Queues a struct's fields (once); its id. */
  const tableOf = (id: string, fields: GoField[], scope: Scope): string => {
    if (!(id in structs) && !pending.some((p) => p.id === id)) pending.push({ id, fields, scope });
    return id;
  };

  const resolve = (type: GoType, scope: Scope, context: string): DecodedType => {
    switch (type.kind) {
      case "pointer":
        return { ...resolve(type.elem, scope, context), pointer: true };
      case "slice":
      case "array":
        return { kind: "array", items: resolve(type.elem, scope, context) };
      case "map":
        return { kind: "map", values: resolve(type.value, scope, context) };
      case "struct":
        return { kind: "table", struct: tableOf(context, type.fields, scope) };
      case "opaque":
        return type.text.startsWith("interface")
          ? { kind: "any" }
          : { kind: "unsupported", go: formatGoType(type) };
      case "name":
        return resolveName(type, scope);
    }
  };

  const resolveName = (type: Extract<GoType, { kind: "name" }>, scope: Scope): DecodedType => {
    const path = type.pkg === undefined ? undefined : scope.imports.get(type.pkg);
    if (path === "time" && type.name === "Duration") return { kind: "duration" };
    if (path === "time" && type.name === "Time") return { kind: "datetime" };
    if (type.pkg === undefined && !scope.pkg.types.has(type.name)) {
      const builtin = BUILTIN[type.name];
      if (builtin === undefined) throw new Error(`${tag}: unknown type ${type.name} in ${scope.pkg.id}`);
      return { kind: builtin } as DecodedType;
    }
    const found = lookUp(type, scope);
    if (found === undefined) {
      if (type.pkg === undefined) throw new Error(`${tag}: ${scope.pkg.id} declares no type ${type.name}`);
      return { kind: "external", go: `${path ?? type.pkg}.${type.name}` };
    }
    const go = `${found.scope.pkg.id}.${type.name}`;
    const methods = found.scope.pkg.methods.get(type.name) ?? new Set<string>();
    if (methods.has("UnmarshalTOML")) return { kind: "custom", go };
    if (methods.has("UnmarshalText")) return { kind: "text", go };
    if (found.spec.type.kind === "struct")
      return { kind: "table", struct: tableOf(go, found.spec.type.fields, found.scope) };
    return resolve(found.spec.type, found.scope, go);
  };

  /** A struct's toml keys, with embedded structs' keys promoted unless a shallower key has the name. */
  const fieldsOf = (
    fields: GoField[],
    scope: Scope,
    id: string,
    prefix = "",
  ): Array<[string, RunnerField, number]> => {
    const found: Array<[string, RunnerField, number]> = [];
    const entry = (
      name: string,
      type: GoType,
      tagName: string | undefined,
    ): [string, RunnerField, number] => [
      tagName || name,
      { field: `${prefix}${name}`, go: formatGoType(type), type: resolve(type, scope, `${id}.${name}`) },
      0,
    ];
    for (const field of fields) {
      const tagName = tagValue(field.tag, "toml")?.split(",")[0];
      if (tagName === "-") continue;
      if (field.names.length > 0) {
        for (const name of field.names)
          if (/^\p{Lu}/u.test(name)) found.push(entry(name, field.type, tagName));
        continue;
      }
      const target = field.type.kind === "pointer" ? field.type.elem : field.type;
      if (target.kind !== "name") throw new Error(`${tag}: ${id}: embedded ${formatGoType(field.type)}`);
      if (tagName !== undefined && tagName !== "") {
        found.push(entry(target.name, field.type, tagName));
        continue;
      }
      const embedded = lookUp(target, scope);
      if (embedded === undefined || embedded.spec.type.kind !== "struct")
        throw new Error(
          `${tag}: ${id}: embedded ${formatGoType(field.type)} is not a struct whose source is here`,
        );
      found.push(
        ...fieldsOf(embedded.spec.type.fields, embedded.scope, id, `${prefix}${target.name}.`).map(
          ([key, promoted, depth]): [string, RunnerField, number] => [key, promoted, depth + 1],
        ),
      );
    }
    return found;
  };

  const root = loadPackage(runner, ROOT.dir);
  const rootSpec = root.types.get(ROOT.name);
  if (rootSpec === undefined || rootSpec.type.kind !== "struct")
    throw new Error(`${tag}: ${ROOT.dir} declares no struct ${ROOT.name}`);
  const rootId = tableOf(`${root.id}.${ROOT.name}`, rootSpec.type.fields, {
    pkg: root,
    imports: rootSpec.imports,
    file: rootSpec.file,
  });
  while (pending.length > 0) {
    const next = pending.shift()!;
    if (next.id in structs) continue;
    structs[next.id] = { file: next.scope.file, fields: {} };
    const entries = fieldsOf(next.fields, next.scope, next.id);
    const fields: Record<string, RunnerField> = {};
    for (const depth of [...new Set(entries.map(([, , d]) => d))].sort((a, b) => a - b)) {
      const atDepth = entries.filter(([, , d]) => d === depth);
      for (const [key, entry] of atDepth) {
        if (key in fields) continue;
        if (atDepth.filter(([other]) => other === key).length > 1)
          throw new Error(`${tag}: ${next.id}: key "${key}" is ambiguous between embedded structs`);
        fields[key] = entry;
      }
    }
    structs[next.id]!.fields = fields;
  }
  const sorted = Object.fromEntries(Object.entries(structs).sort(([a], [b]) => (a < b ? -1 : 1)));

  /** Slice literals of string constants in gitlab-runner's packages read here, by value. */
  const valueLists: Record<string, string[]> = {};
  for (const pkg of [...packages.values()].filter((p) => p.source === runner)) {
    for (const [name, list] of pkg.lists) {
      const values = list.elements.map((element) => {
        if ("value" in element) return element.value;
        if (element.pkg === undefined) return pkg.constants.get(element.name);
        const located = locate(list.imports.get(element.pkg) ?? "");
        return located === undefined
          ? undefined
          : loadPackage(located.source, located.dir).constants.get(element.name);
      });
      if (values.length > 0 && values.every((value) => value !== undefined))
        valueLists[`${pkg.id}.${name}`] = values;
    }
  }
  return {
    source: { repository: "https://gitlab.com/gitlab-org/gitlab-runner", tag, commit },
    dependencies: dependencies.map(({ module, version, commit }) => ({ module, version, commit })),
    extractedBy: "packages/runner-config/reference/extract-runner-config.ts",
    root: rootId,
    structs: sorted,
    valueLists: Object.fromEntries(Object.entries(valueLists).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const mirrors = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--module") {
      const [name, mirror] = (args[++i] ?? "").split("=");
      if (name === undefined || mirror === undefined) positional.length = 0;
      else mirrors.set(name, mirror);
    } else positional.push(args[i]!);
  }
  const [gitDir, ...tags] = positional;
  if (gitDir === undefined || tags.length === 0) {
    console.error("usage: extract-runner-config.ts GIT_DIR TAG… [--module MODULE=GIT_DIR]…");
    process.exit(2);
  }
  for (const tag of tags) {
    const out = new URL(`gitlab-runner-${tag}.json`, import.meta.url);
    writeFileSync(out, `${JSON.stringify(extractRunnerStructs(gitDir, tag, mirrors), null, 2)}\n`);
    console.error(`wrote ${out.pathname}`);
  }
}
