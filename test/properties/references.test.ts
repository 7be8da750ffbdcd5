import { formatReference, parseReference, parseRegistryReference } from "@polyarch/oci";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digest, layoutReferenceText, registryReferenceText, tag } from "./arbitraries.ts";
import { holds, typed, valueOrInputError } from "./support.ts";

describe("image references (property-based)", () => {
  it("accepts every valid registry reference, and formatting it parses back to the same reference", () => {
    holds(registryReferenceText, (text) => {
      const parsed = parseReference(text);
      expect(parseReference(formatReference(parsed))).toEqual(parsed);
      // The canonical form is a fixed point.
      expect(formatReference(parseReference(formatReference(parsed)))).toBe(formatReference(parsed));
    });
  });

  it("accepts every layout reference, keeping its directory, tag and digest", () => {
    holds(layoutReferenceText, (text) => {
      const parsed = parseReference(text);
      expect(parsed.kind).toBe("layout");
      expect(formatReference(parsed)).toBe(text);
    });
  });

  it("refuses anything else with the typed input error that quotes it, never another exception", () => {
    holds(typed, (text) => {
      const outcome = valueOrInputError(() => parseReference(text));
      // The text is quoted as typed, unless it looks like user:password@…: then that part is masked.
      if (!outcome.ok && !outcome.message.includes("carries credentials"))
        expect(outcome.message).toContain(`${JSON.stringify(text)} is not a valid image reference`);
    });
  });

  it("refuses a valid reference with one character broken, or accepts it as another valid one", () => {
    const broken = fc
      .tuple(registryReferenceText, fc.nat(), fc.constantFrom(..."A :@/#%\\\t\u00e9*"))
      .map(([text, at, char]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + char + text.slice(i);
      });
    holds(broken, (text) => {
      const outcome = valueOrInputError(() => parseRegistryReference(text));
      if (outcome.ok) expect(parseReference(formatReference(outcome.value))).toEqual(outcome.value);
    });
  });

  it("never mistakes a tag and a digest for credentials", () => {
    holds(fc.tuple(tag, digest), ([t, d]) => {
      expect(parseReference(`registry.example.com/app:${t}@${d}`)).toMatchObject({ tag: t, digest: d });
    });
  });
});
