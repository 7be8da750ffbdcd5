import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { planSync } from "./plan.ts";
import { parseSyncSpec } from "./spec.ts";

const parse = (item: string[], defaults: string[] = []) =>
  parseSyncSpec(
    [
      ...(defaults.length > 0 ? ["defaults:", ...defaults.map((line) => `  ${line}`)] : []),
      "images:",
      "  - source: up.example/org/tool:1.4",
      "    target: down.example/mirror/tool",
      ...item,
      "",
    ].join("\n"),
    "sync.yaml",
  );

function problem(item: string[], defaults: string[] = []): string {
  try {
    parse(item, defaults);
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

  it("takes referrers and referrerFilters from defaults for images that do not say", () => {
    const item = (image: string[], defaults: string[]) =>
      planSync(parse(image, defaults), new Map()).items[0];
    expect(item([], ["referrers: false"])).toMatchObject({ referrers: false });
    expect(item(["    referrers: true"], ["referrers: false"])).toMatchObject({ referrers: true });
    const filters = ["referrerFilters: [{ artifactType: application/spdx+json }]"];
    expect(item([], filters)?.artifactTypes).toEqual(["application/spdx+json"]);
    expect(
      item(["    referrerFilters: [{ artifactType: application/vnd.in-toto+json }]"], filters)?.artifactTypes,
    ).toEqual(["application/vnd.in-toto+json"]);
    // An image that leaves referrers behind has nothing to filter: the defaults' filters do not apply.
    const off = item(["    referrers: false"], filters);
    expect(off).toMatchObject({ referrers: false });
    expect(off).not.toHaveProperty("artifactTypes");
  });

  it("checks the referrer keys of defaults as an image's: unknown keys, bad filters, filters beside referrers: false", () => {
    expect(problem([], ["referrer: false"])).toContain(
      'defaults.referrer: unknown key; did you mean "referrers"?',
    );
    expect(problem([], ["referrerFilter: [{ artifactType: application/spdx+json }]"])).toContain(
      'did you mean "referrerFilters"?',
    );
    expect(problem([], ["referrerFilters: [{ artifactType: spdx }]"])).toContain(
      "defaults.referrerFilters[0].artifactType",
    );
    expect(
      problem([], ["referrers: false", "referrerFilters: [{ artifactType: application/spdx+json }]"]),
    ).toContain("defaults.referrerFilters: filters referrers, but referrers: false");
    expect(
      problem(["    referrerFilters: [{ artifactType: application/spdx+json }]"], ["referrers: false"]),
    ).toContain("images[0].referrerFilters: filters referrers, but defaults.referrers: false");
  });
});
