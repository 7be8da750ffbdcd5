import { describe, expect, it } from "vitest";
import { entriesToList, type ListedTags, planSync } from "./plan.ts";
import { parseSyncSpec } from "./spec.ts";

const spec = parseSyncSpec(
  [
    "images:",
    "  - source: up.example/org/alpine",
    "    target: down.example/mirror/alpine",
    "    tags: { semver: '>=3.19', latest: 2 }",
    "    platforms: [linux/arm64]",
    "  - source: up.example/org/tool:1.4",
    "    target: down.example/mirror/tool",
    "  - source: up.example/org/gone",
    "    target: down.example/mirror/gone",
    "    tags: { allow: ['.*'] }",
    "  - source: up.example/org/empty",
    "    target: down.example/mirror/empty",
    "    tags: { allow: ['9\\..*'] }",
    "",
  ].join("\n"),
  "sync.yaml",
);

const listed = new Map<number, ListedTags>([
  [0, { tags: ["3.18", "3.19", "3.20", "3.21", "edge", "3.21.polyarch-0123456789ab"] }],
  [2, { error: { code: "POLYARCH_E_REPOSITORY_UNKNOWN", message: "up.example/org/gone does not exist" } }],
  [3, { tags: ["1.0", "2.0"] }],
]);

describe("planSync", () => {
  it("lists exactly the entries that have a tag filter", () => {
    expect(entriesToList(spec).map((image) => image.index)).toEqual([0, 2, 3]);
  });

  it("selects tags from the listing, keeps single images as one item, and carries platforms", () => {
    const plan = planSync(spec, listed);
    expect(
      plan.items.map((item) => ({
        image: item.image,
        source: `${item.source.kind === "registry" && item.source.repository}:${item.source.tag}`,
        target: `${item.target.kind === "registry" && item.target.repository}:${item.target.tag}`,
        platforms: item.platforms?.map((p) => `${p.os}/${p.architecture}`),
      })),
    ).toEqual([
      { image: 0, source: "org/alpine:3.21", target: "mirror/alpine:3.21", platforms: ["linux/arm64"] },
      { image: 0, source: "org/alpine:3.20", target: "mirror/alpine:3.20", platforms: ["linux/arm64"] },
      { image: 1, source: "org/tool:1.4", target: "mirror/tool:undefined", platforms: undefined },
    ]);
  });

  it("turns a failed listing into a failure of that entry only, and says when filters select nothing", () => {
    const plan = planSync(spec, listed);
    expect(plan.failures).toEqual([
      {
        image: 2,
        source: "up.example/org/gone",
        error: { code: "POLYARCH_E_REPOSITORY_UNKNOWN", message: "up.example/org/gone does not exist" },
      },
    ]);
    expect(plan.notes).toEqual(["up.example/org/empty: the tag filters select none of its 2 tags"]);
  });

  it("fails an entry whose repository has no tags at all", () => {
    const plan = planSync(spec, new Map([...listed, [3, { tags: [] }]]));
    expect(plan.failures.map((f) => [f.image, f.error.code])).toEqual([
      [2, "POLYARCH_E_REPOSITORY_UNKNOWN"],
      [3, "POLYARCH_E_NO_TAGS"],
    ]);
  });

  it("refuses to plan an entry whose tags were not listed (a caller bug, not a user error)", () => {
    expect(() => planSync(spec, new Map([[0, { tags: [] }]]))).toThrow(/entry 2 were not listed/);
  });
});
