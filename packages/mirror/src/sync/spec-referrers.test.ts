import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { planSync } from "./plan.ts";
import { parseSyncSpec } from "./spec.ts";

const parse = (item: string[]) =>
  parseSyncSpec(
    [
      "images:",
      "  - source: up.example/org/tool:1.4",
      "    target: down.example/mirror/tool",
      ...item,
      "",
    ].join("\n"),
    "sync.yaml",
  );

function problem(item: string[]): string {
  try {
    parse(item);
  } catch (error: unknown) {
    if (isPolyarchError(error, "POLYARCH_E_BAD_SPEC")) return error.message;
    throw error;
  }
  throw new Error("the spec was accepted");
}

describe("sync spec: referrers", () => {
  it("carries referrers: false and referrerFilters' artifact types to the item", () => {
    const off = planSync(parse(["    referrers: false"]), new Map());
    expect(off.items[0]).toMatchObject({ referrers: false });
    const filtered = planSync(
      parse([
        "    referrerFilters:",
        "      - artifactType: application/spdx+json",
        "      - artifactType: application/vnd.in-toto+json",
      ]),
      new Map(),
    );
    expect(filtered.items[0]?.artifactTypes).toEqual([
      "application/spdx+json",
      "application/vnd.in-toto+json",
    ]);
    expect(planSync(parse([]), new Map()).items[0]).not.toHaveProperty("referrers");
  });

  it("refuses a filter that is not a media type, an unknown filter key, and filters beside referrers: false", () => {
    expect(problem(["    referrerFilters: [{ artifactType: spdx }]"])).toContain(
      "images[0].referrerFilters[0].artifactType",
    );
    expect(problem(["    referrerFilters: [{ artifactTyp: application/spdx+json }]"])).toContain(
      'did you mean "artifactType"',
    );
    expect(
      problem(["    referrers: false", "    referrerFilters: [{ artifactType: application/spdx+json }]"]),
    ).toContain("images[0].referrerFilters: filters referrers, but referrers: false");
  });
});
