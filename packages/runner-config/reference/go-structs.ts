/**
 * A scanner for the type declarations of Go source: struct fields with their tags, named types, aliases,
 * imports, string constants and slice literals, and which types have an UnmarshalTOML or UnmarshalText method.
 * Hand-rolled: no Go toolchain runs here, and a full Go parser (tree-sitter-go's WASM build) is a heavy
 * dependency for what is a small, regular corner of Go's grammar; everything else is skipped by brace depth.
 */

/** A Go type expression. */
export type GoType =
  | { kind: "name"; pkg?: string; name: string }
  | { kind: "pointer"; elem: GoType }
  | { kind: "slice"; elem: GoType }
  | { kind: "array"; elem: GoType }
  | { kind: "map"; key: GoType; value: GoType }
  | { kind: "struct"; fields: GoField[] }
  | { kind: "opaque"; text: string };

/** One field of a struct; `names` is empty for an embedded field. */
export interface GoField {
  names: string[];
  type: GoType;
  tag: string;
}

export interface GoTypeSpec {
  name: string;
  alias: boolean;
  type: GoType;
  file: string;
}

export interface GoFile {
  /** import alias (or last path element) → import path */
  imports: Map<string, string>;
  types: GoTypeSpec[];
  /** receiver type name → method names */
  methods: Map<string, Set<string>>;
  /** Top-level constants whose value is one string literal: name → value. */
  constants: Map<string, string>;
  /** Top-level `var name = []T{a, pkg.B, "c"}`: name → its elements. */
  lists: Map<string, GoListElement[]>;
}

/** An element of a slice literal: a (possibly qualified) constant name or a string literal. */
export type GoListElement = { pkg?: string; name: string } | { value: string };

type Token = { t: "ident" | "string" | "raw" | "number" | "punct" | "semi"; v: string };

/** Go keywords after which a newline is not a semicolon (break, continue, fallthrough and return are). */
const KEYWORDS = new Set(
  "case chan const default defer else for func go goto if import interface map package range select struct switch type var".split(
    " ",
  ),
);

/** Go tokens with the spec's automatic semicolons; comments dropped. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const needsSemicolon = (): boolean => {
    const last = tokens[tokens.length - 1];
    if (last === undefined) return false;
    if (last.t === "ident") return !KEYWORDS.has(last.v);
    if (last.t === "string" || last.t === "raw" || last.t === "number") return true;
    return last.t === "punct" && [")", "]", "}", "++", "--"].includes(last.v);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === "\n") {
      if (needsSemicolon()) tokens.push({ t: "semi", v: "\n" });
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (source.startsWith("//", i)) {
      const end = source.indexOf("\n", i);
      i = end === -1 ? source.length : end;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      const comment = source.slice(i, end === -1 ? source.length : end);
      if (comment.includes("\n") && needsSemicolon()) tokens.push({ t: "semi", v: "\n" });
      i = end === -1 ? source.length : end + 2;
    } else if (c === "`") {
      const end = source.indexOf("`", i + 1);
      tokens.push({ t: "raw", v: source.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      tokens.push({ t: "string", v: source.slice(i, j + 1) });
      i = j + 1;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const match = /^[A-Za-z_0-9\u0080-\uffff]+/.exec(source.slice(i, i + 200))!;
      tokens.push({ t: "ident", v: match[0] });
      i += match[0].length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9A-Za-z_.]+/.exec(source.slice(i, i + 100))!;
      tokens.push({ t: "number", v: match[0] });
      i += match[0].length;
    } else {
      const two = source.slice(i, i + 2);
      const three = source.slice(i, i + 3);
      const v = three === "..." ? three : ["++", "--", ":=", "<-", "==", "!="].includes(two) ? two : c;
      tokens.push({ t: "punct", v });
      i += v.length;
    }
  }
  if (needsSemicolon()) tokens.push({ t: "semi", v: "\n" });
  return tokens;
}

/** Reads one Go file's imports, top-level type declarations and method receivers. */
export function scanGoFile(source: string, file: string): GoFile {
  const tokens = tokenize(source);
  const result: GoFile = {
    imports: new Map(),
    types: [],
    methods: new Map(),
    constants: new Map(),
    lists: new Map(),
  };
  let i = 0;
  const peek = (offset = 0): Token | undefined => tokens[i + offset];
  const is = (v: string, offset = 0): boolean => {
    const token = peek(offset);
    return token !== undefined && token.t !== "string" && token.t !== "raw" && token.v === v;
  };
  const expect = (v: string): void => {
    if (!is(v)) throw new Error(`${file}: expected "${v}", found "${peek()?.v}" at token ${i}`);
    i++;
  };
  const skipSemis = (): void => {
    while (peek()?.t === "semi" || is(";")) i++;
  };
  /** Skips a balanced (), [] or {} group starting at the current opener. */
  const skipGroup = (): string => {
    const start = i;
    const open = peek()!.v;
    const close = open === "(" ? ")" : open === "[" ? "]" : "}";
    let depth = 0;
    do {
      if (is(open)) depth++;
      else if (is(close)) depth--;
      i++;
    } while (depth > 0 && i < tokens.length);
    return tokens
      .slice(start, i)
      .map((token) => token.v)
      .join(" ");
  };

  const parseType = (): GoType => {
    const token = peek();
    if (token === undefined) throw new Error(`${file}: type expected at end of file`);
    if (is("*")) {
      i++;
      return { kind: "pointer", elem: parseType() };
    }
    if (is("[")) {
      if (is("]", 1)) {
        i += 2;
        return { kind: "slice", elem: parseType() };
      }
      skipGroup();
      return { kind: "array", elem: parseType() };
    }
    if (is("map")) {
      i++;
      expect("[");
      const key = parseType();
      expect("]");
      return { kind: "map", key, value: parseType() };
    }
    if (is("struct")) {
      i++;
      return { kind: "struct", fields: parseFields() };
    }
    if (is("interface")) {
      i++;
      return { kind: "opaque", text: `interface ${skipGroup()}` };
    }
    if (is("chan") || is("<-")) {
      const start = i;
      while (is("chan") || is("<-")) i++;
      parseType();
      return {
        kind: "opaque",
        text: tokens
          .slice(start, i)
          .map((t) => t.v)
          .join(" "),
      };
    }
    if (is("func")) {
      i++;
      let text = `func ${skipGroup()}`;
      // A result: a parenthesised list or a single type, on the same line.
      if (is("(")) text += ` ${skipGroup()}`;
      else if (peek()?.t === "ident" || is("*") || is("[")) {
        parseType();
        text += " …";
      }
      return { kind: "opaque", text };
    }
    if (token.t === "ident") {
      i++;
      let type: GoType = { kind: "name", name: token.v };
      if (is(".") && peek(1)?.t === "ident") {
        type = { kind: "name", pkg: token.v, name: peek(1)!.v };
        i += 2;
      }
      if (is("[")) skipGroup(); // type arguments of a generic type
      return type;
    }
    throw new Error(`${file}: unexpected "${token.v}" where a type was expected`);
  };

  const parseFields = (): GoField[] => {
    expect("{");
    const fields: GoField[] = [];
    skipSemis();
    while (!is("}")) {
      const first = peek()!;
      const embedded =
        is("*") ||
        (first.t === "ident" && (is(".", 1) || peek(1)?.t === "semi" || is("}", 1) || isTag(peek(1))));
      let names: string[] = [];
      if (!embedded) {
        names = [first.v];
        i++;
        while (is(",")) {
          names.push(peek(1)!.v);
          i += 2;
        }
      }
      const type = parseType();
      let tag = "";
      if (isTag(peek())) {
        tag = peek()!.t === "raw" ? peek()!.v : JSON.parse(peek()!.v);
        i++;
      }
      fields.push({ names, type, tag });
      skipSemis();
    }
    expect("}");
    return fields;
  };

  const parseTypeSpec = (): void => {
    const name = peek()!.v;
    i++;
    if (is("[") && peek(1)?.t === "ident" && peek(2)?.t === "ident") skipGroup(); // type parameters
    const alias = is("=");
    if (alias) i++;
    result.types.push({ name, alias, type: parseType(), file });
  };

  /** Whether the current token ends a const or var spec: a semicolon, or the `)` closing its group. */
  const atSpecEnd = (offset = 0): boolean => {
    const token = peek(offset);
    return token === undefined || token.t === "semi" || is(";", offset) || is(")", offset);
  };
  const skipToSpecEnd = (): void => {
    while (!atSpecEnd()) {
      if (is("(") || is("[") || is("{")) skipGroup();
      else i++;
    }
  };
  const stringLiteral = (token: Token | undefined): string | undefined =>
    token?.t === "raw"
      ? token.v
      : token?.t === "string" && token.v.startsWith('"')
        ? JSON.parse(token.v)
        : undefined;

  /** `name[, name] [Type] [= value]`; keeps string constants and slice literals of names or strings. */
  const parseValueSpec = (keyword: "const" | "var"): void => {
    const names = [peek()!.v];
    i++;
    while (is(",")) {
      names.push(peek(1)!.v);
      i += 2;
    }
    if (!is("=") && !atSpecEnd()) parseType();
    if (!is("=")) return;
    i++;
    const literal = stringLiteral(peek());
    if (keyword === "const" && names.length === 1 && literal !== undefined && atSpecEnd(1)) {
      result.constants.set(names[0]!, literal);
      i++;
      return;
    }
    if (keyword === "var" && names.length === 1 && is("[") && is("]", 1)) {
      parseType();
      if (is("{")) {
        const elements = parseListElements();
        if (elements !== undefined && atSpecEnd()) result.lists.set(names[0]!, elements);
      }
    }
    skipToSpecEnd();
  };

  /** The elements of `{a, pkg.B, "c"}`, or undefined (group skipped) when one is anything else. */
  const parseListElements = (): GoListElement[] | undefined => {
    const start = i;
    i++;
    const elements: GoListElement[] = [];
    skipSemis();
    while (!is("}")) {
      const literal = stringLiteral(peek());
      if (literal !== undefined) {
        elements.push({ value: literal });
        i++;
      } else if (peek()?.t === "ident" && is(".", 1) && peek(2)?.t === "ident") {
        elements.push({ pkg: peek()!.v, name: peek(2)!.v });
        i += 3;
      } else if (peek()?.t === "ident") {
        elements.push({ name: peek()!.v });
        i++;
      } else break;
      if (is(",")) i++;
      skipSemis();
      if (!is("}") && !(peek()?.t === "ident" || isTag(peek()))) break;
    }
    if (is("}")) {
      i++;
      return elements;
    }
    i = start;
    skipGroup();
    return undefined;
  };

  /** `keyword spec` or `keyword ( spec; spec; … )`. */
  const declaration = (spec: () => void): void => {
    i++;
    if (!is("(")) {
      spec();
      return;
    }
    i++;
    skipSemis();
    while (!is(")")) {
      spec();
      skipSemis();
    }
    i++;
  };

  let depth = 0;
  while (i < tokens.length) {
    if (depth === 0 && is("import")) {
      declaration(() => {
        const alias = peek()?.t === "ident" || is(".") ? peek()!.v : undefined;
        if (alias !== undefined) i++;
        const path = JSON.parse(peek()!.v) as string;
        i++;
        if (alias !== "_" && alias !== ".")
          result.imports.set(alias ?? path.slice(path.lastIndexOf("/") + 1), path);
      });
    } else if (depth === 0 && is("type")) {
      declaration(parseTypeSpec);
    } else if (depth === 0 && (is("const") || is("var"))) {
      const keyword = peek()!.v as "const" | "var";
      declaration(() => parseValueSpec(keyword));
    } else if (depth === 0 && is("func") && is("(", 1)) {
      // func (r *Receiver) Method(
      i += 2;
      const start = i;
      while (!is(")")) i++;
      const receiver = tokens
        .slice(start, i)
        .filter((token) => token.t === "ident")
        .map((token) => token.v);
      i++;
      // (name *Type), (name Type[T]) or (Type): the type is the second identifier when a name is given.
      const typeName = receiver.length >= 2 ? receiver[1] : receiver[0];
      const method = peek()?.v;
      if (typeName !== undefined && method !== undefined) {
        const set = result.methods.get(typeName) ?? new Set<string>();
        set.add(method);
        result.methods.set(typeName, set);
      }
    } else {
      if (is("{") || is("(") || is("[")) depth++;
      else if (is("}") || is(")") || is("]")) depth--;
      i++;
    }
  }
  return result;
}

function isTag(token: Token | undefined): boolean {
  return token !== undefined && (token.t === "raw" || token.t === "string");
}

/** The value of `key:"…"` in a struct tag (reflect.StructTag.Get), or undefined. */
export function tagValue(tag: string, key: string): string | undefined {
  const pattern = /([^\s:"]+):"((?:[^"\\]|\\.)*)"/g;
  for (const match of tag.matchAll(pattern)) if (match[1] === key) return JSON.parse(`"${match[2]}"`);
  return undefined;
}

/** A type expression as Go source, for the data file. */
export function formatGoType(type: GoType): string {
  switch (type.kind) {
    case "name":
      return type.pkg === undefined ? type.name : `${type.pkg}.${type.name}`;
    case "pointer":
      return `*${formatGoType(type.elem)}`;
    case "slice":
      return `[]${formatGoType(type.elem)}`;
    case "array":
      return `[N]${formatGoType(type.elem)}`;
    case "map":
      return `map[${formatGoType(type.key)}]${formatGoType(type.value)}`;
    case "struct":
      return "struct{…}";
    case "opaque":
      return type.text;
  }
}
