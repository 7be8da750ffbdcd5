import { describe, expect, it } from "vitest";
import { z } from "zod";
import { closestKey, strictObject, validateSpecText } from "./spec-file.ts";

describe("spec files", () => {
  it("suggests the key a typo meant: other case, an abbreviation, else the nearest", () => {
    const keys = ["registry", "repository", "multiArchSince"];
    expect(closestKey("multiarchsince", keys)).toBe("multiArchSince");
    expect(closestKey("repo", keys)).toBe("repository");
    expect(closestKey("regsitry", keys)).toBe("registry");
  });

  it("collects every problem with its dot-path", () => {
    const schema = strictObject({
      items: z.array(strictObject({ name: z.string(), size: z.int().optional() })),
    });
    const result = validateSpecText("items:\n  - { name: a, sise: 1 }\n  - { size: x }\n", schema);
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: "items[0].sise", message: 'unknown key; did you mean "size"? (valid keys: name, size)' },
        { path: "items[1].name", message: "is required (a string)" },
        { path: "items[1].size", message: 'must be a number, not string "x"' },
      ],
    });
  });
});
