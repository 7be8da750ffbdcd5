import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatPath, parseSpecText, strictObject, validateSpecText } from "./spec-file.ts";

const item = strictObject({
  name: z.string(),
  size: z.int().optional(),
  kind: z.enum(["image", "index"]).optional(),
  tags: z
    .array(z.string().regex(/^[\w.-]+$/, "must be a tag"))
    .min(1, "needs at least one tag")
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean().optional(),
});
const spec = strictObject({ items: z.array(item), options: strictObject({}).optional() });
type Spec = z.infer<typeof spec>;

const problemsOf = (text: string, check?: (value: Spec) => { path: string; message: string }[]) => {
  const result = validateSpecText(text, spec, check);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
};

describe("validateSpecText", () => {
  it("returns the schema's output when every rule holds", () => {
    expect(validateSpecText("items:\n  - { name: a, size: 2, tags: [v1] }\n", spec)).toEqual({
      ok: true,
      value: { items: [{ name: "a", size: 2, tags: ["v1"] }] },
    });
  });

  it("collects every problem at once, each with its dot-path", () => {
    expect(problemsOf("items:\n  - { name: a, sise: 1 }\n  - { size: x }\n")).toEqual([
      {
        path: "items[0].sise",
        message: 'unknown key; did you mean "size"? (valid keys: name, size, kind, tags, labels, enabled)',
      },
      { path: "items[1].name", message: "is required (a string)" },
      { path: "items[1].size", message: 'must be a number, not string "x"' },
    ]);
  });

  it("names each unknown key of one mapping separately, with its own suggestion or none", () => {
    expect(problemsOf("items:\n  - { name: a, Size: 1, tgas: [x], colour: red }\n")).toEqual([
      { path: "items[0].Size", message: expect.stringMatching(/^unknown key; did you mean "size"\?/) },
      { path: "items[0].tgas", message: expect.stringMatching(/^unknown key; did you mean "tags"\?/) },
      {
        path: "items[0].colour",
        message: "unknown key (valid keys: name, size, kind, tags, labels, enabled)",
      },
    ]);
  });

  it("says when a mapping takes no keys at all", () => {
    expect(problemsOf("items: []\noptions: { verbose: true }\n")).toEqual([
      { path: "options.verbose", message: "unknown key; this mapping takes no keys" },
    ]);
  });

  it("describes wrong types in a YAML author's words: mapping, list, null, the value itself", () => {
    expect(
      problemsOf(
        "items:\n  - name: [a]\n  - name: { a: 1 }\n  - name: ~\n  - { name: a, enabled: 'yes' }\n  - { name: a, size: true }\n",
      ),
    ).toEqual([
      { path: "items[0].name", message: "must be a string, not a list" },
      { path: "items[1].name", message: "must be a string, not a mapping" },
      { path: "items[2].name", message: "must be a string, not null" },
      { path: "items[3].enabled", message: 'must be a boolean, not string "yes"' },
      { path: "items[4].size", message: "must be a number, not boolean true" },
    ]);
    expect(problemsOf("items: { name: a }\n")).toEqual([
      { path: "items", message: "must be a list, not a mapping" },
    ]);
    expect(problemsOf("items:\n  - just a string\n")).toEqual([
      { path: "items[0]", message: 'must be a mapping, not string "just a string"' },
    ]);
  });

  it("reports a required top-level key of an empty file, and a document that is not a mapping at the top level", () => {
    expect(problemsOf("")).toEqual([{ path: "items", message: "is required (a list)" }]);
    expect(problemsOf("# only a comment\n")).toEqual([{ path: "items", message: "is required (a list)" }]);
    expect(problemsOf("- a\n- b\n")).toEqual([
      { path: "(top level)", message: "must be a mapping, not a list" },
    ]);
  });

  it("keeps the schema's own messages for other rules: enums, formats, sizes, integers", () => {
    const problems = problemsOf(
      "items:\n  - { name: a, kind: blob }\n  - { name: b, tags: ['bad tag'] }\n  - { name: c, tags: [] }\n  - { name: d, size: 1.5 }\n",
    );
    expect(problems.map((p) => p.path)).toEqual([
      "items[0].kind",
      "items[1].tags[0]",
      "items[2].tags",
      "items[3].size",
    ]);
    expect(problems[0]?.message).toMatch(/image.*index/);
    expect(problems[1]?.message).toBe("must be a tag");
    expect(problems[2]?.message).toBe("needs at least one tag");
    expect(problems[3]?.message).toMatch(/int/i);
  });

  it("writes keys that are not identifiers in brackets: dotted, spaced, numeric, empty", () => {
    const problems = problemsOf(
      "items:\n  - name: a\n    labels: { ok: fine, 'a.b': 1, 'with space': 2, '3.19': 3, '': 4 }\n",
    );
    const at = (key: string, value: number) => ({
      path: `items[0].labels[${JSON.stringify(key)}]`,
      message: `must be a string, not number ${value}`,
    });
    expect(problems).toEqual([at("a.b", 1), at("with space", 2), at("3.19", 3), at("", 4)]);
  });

  it("runs the cross-key check only once the shape is right, and returns its problems", () => {
    const calls: Spec[] = [];
    const uniqueNames = (value: Spec) => {
      calls.push(value);
      const names = value.items.map((i) => i.name);
      return names.flatMap((name, i) =>
        names.indexOf(name) === i
          ? []
          : [{ path: formatPath(["items", i, "name"]), message: `"${name}" is used twice` }],
      );
    };
    expect(problemsOf("items:\n  - { name: a }\n  - { name: a, sise: 1 }\n", uniqueNames)).toHaveLength(1);
    expect(calls).toEqual([]);
    expect(problemsOf("items:\n  - { name: a }\n  - { name: a }\n", uniqueNames)).toEqual([
      { path: "items[1].name", message: '"a" is used twice' },
    ]);
    expect(calls).toHaveLength(1);
    expect(validateSpecText("items:\n  - { name: a }\n  - { name: b }\n", spec, uniqueNames).ok).toBe(true);
  });

  it("stops at YAML problems before the schema: a duplicate key is not also an unknown or missing key", () => {
    expect(problemsOf("items: []\nitems: []\nbogus: 1\n")).toEqual([
      { path: "line 2, column 1", message: "Map keys must be unique" },
    ]);
  });

  it("checks what anchors and merge keys expand to, with the paths of the expanded copies", () => {
    const text = "items:\n  - &base { name: a, size: 1 }\n  - <<: *base\n    sise: 2\n  - *base\n";
    expect(problemsOf(text)).toEqual([
      { path: "items[1].sise", message: expect.stringMatching(/^unknown key; did you mean "size"\?/) },
    ]);
    expect(
      validateSpecText("items:\n  - &base { name: a, size: 1 }\n  - <<: *base\n    name: b\n", spec),
    ).toEqual({
      ok: true,
      value: {
        items: [
          { name: "a", size: 1 },
          { name: "b", size: 1 },
        ],
      },
    });
  });
});

describe("formatPath", () => {
  it("joins keys with dots and indexes with brackets", () => {
    expect(formatPath(["images", 1, "tags", "latest"])).toBe("images[1].tags.latest");
    expect(formatPath(["runner-config", "x_y", "$z"])).toBe("runner-config.x_y.$z");
    expect(formatPath([0, 2])).toBe("[0][2]");
  });

  it("names the top level when there is no path, or the root it is given", () => {
    expect(formatPath([])).toBe("(top level)");
    expect(formatPath([], "fleet.yaml")).toBe("fleet.yaml");
  });
});

describe("parseSpecText", () => {
  const hint = "see the spec format in the README";

  it("returns the value when the text is valid", () => {
    expect(parseSpecText("items: [{ name: a }]\n", "spec.yaml", spec, { hint })).toEqual({
      items: [{ name: "a" }],
    });
  });

  it("throws one POLYARCH_E_BAD_SPEC input error naming the file and listing every problem", () => {
    let error: unknown;
    try {
      parseSpecText("items:\n  - { sise: 1 }\n", "team/spec.yaml", spec, { hint });
    } catch (caught: unknown) {
      error = caught;
    }
    expect(isPolyarchError(error, "POLYARCH_E_BAD_SPEC")).toBe(true);
    expect(error).toMatchObject({ kind: "input", hint });
    expect((error as Error).message).toBe(
      [
        "team/spec.yaml has 2 problems:",
        // Within one mapping, the schema's keys come first, then the unknown ones.
        "  items[0].name: is required (a string)",
        '  items[0].sise: unknown key; did you mean "size"? (valid keys: name, size, kind, tags, labels, enabled)',
      ].join("\n"),
    );
  });

  it("says 'a problem' for one, and includes the check's problems", () => {
    const check = () => [{ path: "items", message: "is wrong on purpose" }];
    expect(() => parseSpecText("items: []\n", "one.yaml", spec, { hint, check })).toThrow(
      "one.yaml has a problem:\n  items: is wrong on purpose",
    );
  });

  it("reports YAML problems the same way, by line and column", () => {
    expect(() => parseSpecText("items: []\nitems: []\n", "dup.yaml", spec, { hint })).toThrow(
      "dup.yaml has a problem:\n  line 2, column 1: Map keys must be unique",
    );
  });
});
