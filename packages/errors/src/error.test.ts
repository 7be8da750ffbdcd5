import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalogue } from "./catalogue.ts";
import { PolyarchError, reportedError } from "./error.ts";

describe("the error catalogue", () => {
  it("gives each error its kind from its code", () => {
    expect(new PolyarchError("POLYARCH_E_BAD_REFERENCE", "x").kind).toBe("input");
    expect(new PolyarchError("POLYARCH_E_BLOB_UNKNOWN", "x").kind).toBe("operation");
  });

  it("is the table packages/errors/README.md documents, code for code and exit for exit", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const rows = [...readme.matchAll(/^\| `(POLYARCH_E_[A-Z_]+)` +\| ([12]) +\|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(
      Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.kind === "input" ? "2" : "1"]),
    );
  });

  it("reports errors it did not make as internal, scrubbed", () => {
    expect(reportedError(new Error("GET https://u:hunter2@r.example/v2/ failed"))).toEqual({
      code: "POLYARCH_E_INTERNAL",
      message: expect.not.stringContaining("hunter2"),
    });
  });
});
