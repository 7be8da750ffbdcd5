import { describe, expect, it } from "vitest";
import { closestKey, unknownKeyMessage } from "./spec-file.ts";

const keys = ["registry", "repository", "multiArchSince", "max_age", "tags"];

describe("closestKey", () => {
  it("prefers the same key in other case, or with - for _", () => {
    expect(closestKey("multiarchsince", keys)).toBe("multiArchSince");
    expect(closestKey("TAGS", keys)).toBe("tags");
    expect(closestKey("max-age", keys)).toBe("max_age");
    // Not merely the nearest: "xay" is as near to "x-y" as "x_y" is, and comes first.
    expect(closestKey("x-y", ["xay", "x_y"])).toBe("x_y");
  });

  it("then a key the typo abbreviates (three letters or more), the shortest when several do", () => {
    expect(closestKey("repo", keys)).toBe("repository");
    expect(closestKey("reg", keys)).toBe("registry");
    expect(closestKey("multi", keys)).toBe("multiArchSince");
    expect(closestKey("re", ["registry", "reg"])).toBe("reg");
    expect(closestKey("rep", ["repository", "repo"])).toBe("repo");
  });

  it("then the nearest by edit distance, when it is near enough to be a typo", () => {
    expect(closestKey("regsitry", keys)).toBe("registry");
    expect(closestKey("tgas", keys)).toBe("tags");
    expect(closestKey("repostiory", keys)).toBe("repository");
  });

  it("suggests nothing for a key that resembles none, or when there are no keys", () => {
    expect(closestKey("colour", keys)).toBeUndefined();
    expect(closestKey("x", keys)).toBeUndefined();
    // Two letters abbreviate nothing: "re" is too short to mean "registry".
    expect(closestKey("re", ["registry", "tags"])).toBeUndefined();
    expect(closestKey("tags", [])).toBeUndefined();
  });
});

describe("unknownKeyMessage", () => {
  it("suggests the closest key and lists the valid ones in schema order", () => {
    expect(unknownKeyMessage("tgas", ["source", "target", "tags", "platforms"])).toBe(
      'unknown key; did you mean "tags"? (valid keys: source, target, tags, platforms)',
    );
  });

  it("leaves the list out beside a suggestion past a dozen keys, and keeps it without one", () => {
    const many = Array.from({ length: 13 }, (_, i) => `key_${String.fromCharCode(97 + i)}`);
    expect(unknownKeyMessage("key_aa", many)).toBe('unknown key; did you mean "key_a"?');
    expect(unknownKeyMessage("colour", many)).toBe(`unknown key (valid keys: ${many.join(", ")})`);
  });

  it("lists the valid keys without a suggestion when none is close", () => {
    expect(unknownKeyMessage("colour", ["source", "target"])).toBe(
      "unknown key (valid keys: source, target)",
    );
  });

  it("says when the mapping takes no keys", () => {
    expect(unknownKeyMessage("anything", [])).toBe("unknown key; this mapping takes no keys");
  });
});
