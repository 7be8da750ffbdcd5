import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { stringifyToml, TomlComment } from "./toml.ts";

describe("stringifyToml", () => {
  test("round-trips strings that need escaping or literal quoting through an independent parser", () => {
    const strings = {
      plain: "alpine:3.22",
      regex: "^kubernetes\\.io/arch=(amd64|arm64)$",
      json: '{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}',
      both: `it's "quoted" \\ here`,
      control: "line one\nline two\ttabbed\r\u0001\u007f",
      unicode: "glrt-… ünïcödé 🚀",
      empty: "",
    };
    const text = stringifyToml({ strings, "dotted.key": "x", "spaced key": 1, "": true });
    expect(parse(text)).toEqual({ strings, "dotted.key": "x", "spaced key": 1, "": true });
    expect(text).toContain("regex = '^kubernetes\\.io/arch=(amd64|arm64)$'");
  });

  test("writes scalars before tables, nests arrays of tables, indents by depth and skips undefined", () => {
    const text = stringifyToml({
      concurrent: 4096,
      runners: [
        {
          name: "a",
          skipped: undefined,
          kubernetes: {
            namespace: "ci",
            node_selector: { "kubernetes.io/arch": "amd64" },
            pod_spec: [{ name: "p" }],
          },
          environment: ["A=1"],
        },
        { name: "b", limit: 0 },
      ],
      enabled: false,
    });
    expect(text).toBe(
      [
        "concurrent = 4096",
        "enabled = false",
        "",
        "[[runners]]",
        '  name = "a"',
        '  environment = ["A=1"]',
        "  [runners.kubernetes]",
        '    namespace = "ci"',
        "    [runners.kubernetes.node_selector]",
        '      "kubernetes.io/arch" = "amd64"',
        "",
        "    [[runners.kubernetes.pod_spec]]",
        '      name = "p"',
        "",
        "[[runners]]",
        '  name = "b"',
        "  limit = 0",
        "",
      ].join("\n"),
    );
    expect(parse(text)).toEqual({
      concurrent: 4096,
      enabled: false,
      runners: [
        {
          name: "a",
          environment: ["A=1"],
          kubernetes: {
            namespace: "ci",
            node_selector: { "kubernetes.io/arch": "amd64" },
            pod_spec: [{ name: "p" }],
          },
        },
        { name: "b", limit: 0 },
      ],
    });
  });

  test("writes comments where they stand and omits headers of tables that only hold tables", () => {
    const text = stringifyToml({
      note: new TomlComment("first"),
      outer: { inner: { key: "v" } },
      empty: {},
    });
    expect(text).toBe('# first\n  [outer.inner]\n    key = "v"\n[empty]\n');
    expect(parse(text)).toEqual({ outer: { inner: { key: "v" } }, empty: {} });
  });

  test("refuses numbers TOML integers cannot hold", () => {
    expect(() => stringifyToml({ ratio: 0.5 })).toThrow(/not a safe integer/);
  });
});
