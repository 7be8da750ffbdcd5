import { describe, expect, it } from "vitest";
import { parseYamlText } from "./spec-file.ts";

const ok = (value: unknown) => ({ ok: true, value });
/** The result for one problem at `line`, `column`. */
const problemAt = (line: number, column: number, message: unknown) => ({
  ok: false,
  problems: [{ path: `line ${line}, column ${column}`, message }],
});

describe("parseYamlText", () => {
  it("reads plain YAML into plain data", () => {
    expect(parseYamlText("name: app\nsizes: [1, 2]\nnested:\n  flag: true\n")).toEqual(
      ok({ name: "app", sizes: [1, 2], nested: { flag: true } }),
    );
  });

  it("reads an empty document, one of comments only, and ~ as null", () => {
    expect(parseYamlText("")).toEqual(ok(null));
    expect(parseYamlText("# nothing here yet\n\n")).toEqual(ok(null));
    expect(parseYamlText("~\n")).toEqual(ok(null));
    // A document end marker alone is still one document.
    expect(parseYamlText("---\nname: x\n...\n")).toEqual(ok({ name: "x" }));
  });

  it("resolves anchors and aliases to copies of the anchored value", () => {
    const result = parseYamlText(
      "platforms: &both [linux/amd64, linux/arm64]\nimages:\n  - { name: a, platforms: *both }\n  - { name: b, platforms: *both }\n",
    );
    expect(result).toEqual(
      ok({
        platforms: ["linux/amd64", "linux/arm64"],
        images: [
          { name: "a", platforms: ["linux/amd64", "linux/arm64"] },
          { name: "b", platforms: ["linux/amd64", "linux/arm64"] },
        ],
      }),
    );
  });

  it("merges << keys, the way GitLab CI files share defaults: explicit keys win over merged ones", () => {
    const text = [
      "images:",
      "  - &tool",
      "    source: upstream/tool",
      "    platforms: [linux/amd64]",
      "    tags: { latest: 2 }",
      "  - <<: *tool",
      "    target: mirror/tool",
      "    platforms: [linux/arm64]",
      "",
    ].join("\n");
    expect(parseYamlText(text)).toEqual(
      ok({
        images: [
          { source: "upstream/tool", platforms: ["linux/amd64"], tags: { latest: 2 } },
          {
            source: "upstream/tool",
            tags: { latest: 2 },
            target: "mirror/tool",
            platforms: ["linux/arm64"],
          },
        ],
      }),
    );
  });

  it("merges a list of mappings under <<, the first one winning where they overlap", () => {
    const text = "a: &a { x: 1, y: 1 }\nb: &b { y: 2, z: 2 }\nc:\n  <<: [*a, *b]\n";
    expect(parseYamlText(text)).toEqual(
      ok({ a: { x: 1, y: 1 }, b: { y: 2, z: 2 }, c: { x: 1, y: 1, z: 2 } }),
    );
  });

  it("refuses a duplicate key, at the line and column of the second one, at any depth", () => {
    expect(parseYamlText("name: a\nsize: 1\nname: b\n")).toEqual(problemAt(3, 1, "Map keys must be unique"));
    expect(parseYamlText("images:\n  - source: a\n    target: b\n    source: c\n")).toEqual(
      problemAt(4, 5, "Map keys must be unique"),
    );
  });

  it("locates syntax errors by line and column, one problem per error", () => {
    expect(parseYamlText("name: a\n\tsize: 1\n")).toEqual(
      problemAt(2, 1, "Tabs are not allowed as indentation"),
    );
    const unclosed = parseYamlText("tags: [a, b\nsize: 1\n");
    expect(unclosed.ok).toBe(false);
    if (unclosed.ok) return;
    expect(unclosed.problems).toEqual([
      { path: "line 2, column 1", message: expect.stringMatching(/flow sequence.*\]/i) },
    ]);
  });

  it("never quotes the source in a problem: a secret on a bad line stays out of the message", () => {
    const secret = "glpat-s3cr3t-t0ken-value";
    const results = [
      parseYamlText(`name: a\n  token: ${secret}\n`),
      parseYamlText(`token: "${secret}\n`),
      parseYamlText(`token: [${secret}\n`),
      parseYamlText(`token: ${secret}\ntoken: ${secret}\n`),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(problem.path).toMatch(/^line \d+, column \d+$/);
        expect(problem.message).not.toContain(secret);
        expect(problem.message).not.toContain("\n");
      }
    }
  });

  it("refuses a second document, pointing at its ---", () => {
    expect(parseYamlText("name: a\n---\nname: b\n")).toEqual({
      ok: false,
      problems: [
        {
          path: "line 2, column 1",
          message: "a second YAML document starts here; a spec file holds one (remove the ---)",
        },
      ],
    });
  });

  it("reports an alias without its anchor where the alias is, instead of throwing", () => {
    expect(parseYamlText("name: x\nplatforms: *both\n")).toEqual(
      problemAt(2, 12, "alias *both has no anchor &both before it"),
    );
    // An anchor defined only after its alias does not count.
    expect(parseYamlText("a: *later\nb: &later 1\n")).toEqual(
      problemAt(1, 4, "alias *later has no anchor &later before it"),
    );
  });

  it("refuses aliases that would expand without bound (a 'billion laughs' file), instead of throwing", () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [name, previous] of [
      ["b", "a"],
      ["c", "b"],
      ["d", "c"],
    ] as const) {
      rows.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(",")}]`);
    }
    const result = parseYamlText(`${rows.join("\n")}\n`);
    expect(result).toEqual({
      ok: false,
      problems: [{ path: "(yaml)", message: expect.stringMatching(/alias count/i) }],
    });
  });
});
