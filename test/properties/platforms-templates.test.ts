import { checkTemplate, expandTemplate, templateSources } from "@polyarch/merge";
import { formatPlatform, parsePlatform, parsePlatformList, platformsEqual } from "@polyarch/oci";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { component, platformText, registry } from "./arbitraries.ts";
import { holds, typed, valueOrInputError } from "./support.ts";

describe("platforms (property-based)", () => {
  it("accepts every os/arch[/variant], and its normalized form parses back to itself", () => {
    holds(platformText, (text) => {
      const platform = parsePlatform(text);
      const formatted = formatPlatform(platform);
      expect(parsePlatform(formatted)).toEqual(platform);
      expect(formatPlatform(parsePlatform(formatted))).toBe(formatted);
      expect(platformsEqual(parsePlatform(text.toUpperCase()), platform)).toBe(true);
    });
  });

  it("gives any text a platform or the typed input error that quotes it", () => {
    holds(typed, (text) => {
      const outcome = valueOrInputError(() => parsePlatform(text));
      if (!outcome.ok) expect(outcome.message).toBe(`${JSON.stringify(text)} is not a platform`);
    });
  });

  it("refuses text that is not os/arch[/variant]: one part, four parts, an empty part or a stray character", () => {
    const part = fc.string({ unit: fc.constantFrom(..."az09_.-"), minLength: 1, maxLength: 6 });
    const notPlatform = fc.oneof(
      part,
      fc.tuple(part, part, part, part).map((parts) => parts.join("/")),
      fc.tuple(part, part).map(([os, variant]) => `${os}//${variant}`),
      fc
        .tuple(part, part, fc.constantFrom(..." :@#*{}\t"), fc.boolean())
        .map(([os, arch, stray, front]) => (front ? `${os}/${stray}${arch}` : `${os}/${arch}${stray}x`)),
    );
    holds(notPlatform, (text) => {
      const outcome = valueOrInputError(() => parsePlatform(text));
      expect(outcome).toEqual({ ok: false, message: `${JSON.stringify(text)} is not a platform` });
    });
  });

  it("reads a list of distinct platforms in order, and refuses a list naming one twice", () => {
    holds(fc.uniqueArray(platformText, { minLength: 1, maxLength: 5 }), (texts) => {
      const outcome = valueOrInputError(() => parsePlatformList(texts.join(",")));
      const distinct = new Set(texts.map((t) => formatPlatform(parsePlatform(t)))).size === texts.length;
      expect(outcome.ok).toBe(distinct);
      if (outcome.ok)
        expect(outcome.value.map(formatPlatform)).toEqual(texts.map((t) => formatPlatform(parsePlatform(t))));
    });
  });

  it("gives any list text a value or the typed input error", () => {
    holds(fc.array(fc.oneof(platformText, typed), { maxLength: 4 }), (items) => {
      valueOrInputError(() => parsePlatformList(items.join(",")));
    });
  });
});

const braceTemplate = fc
  .tuple(
    fc.option(registry, { nil: undefined }),
    component,
    fc.constantFrom("{arch}", "{arch}-{variant}", "{os}-{arch}{variant}"),
  )
  .map(([host, repo, placeholder]) => `${host ?? "registry.example.com"}/${repo}:${placeholder}-1`);

describe("templates (property-based)", () => {
  it("gives each platform of a list its own source, with no placeholder left", () => {
    const platforms = fc.uniqueArray(
      fc.constantFrom(
        "linux/amd64",
        "linux/arm64",
        "linux/arm/v7",
        "linux/arm/v6",
        "linux/ppc64le",
        "linux/s390x",
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    );
    holds(fc.tuple(braceTemplate, platforms), ([template, list]) => {
      const outcome = valueOrInputError(() => templateSources(list.join(","), template));
      const texts = list.map((p) => {
        const [os = "", architecture = "", variant = ""] = p.split("/");
        return template
          .replaceAll("{os}", os)
          .replaceAll("{arch}", architecture)
          .replaceAll("{variant}", variant);
      });
      // Two platforms that the template cannot tell apart (arm/v6, arm/v7 without {variant}) are refused.
      expect(outcome.ok).toBe(new Set(texts).size === texts.length);
      if (!outcome.ok) return;
      expect(outcome.value.map((s) => s.text)).toEqual(texts);
      for (const source of outcome.value) expect(source.text).not.toMatch(/\{(arch|os|variant)\}/);
    });
  });

  it("expands manifest-tool's words once each, in order, like manifest-tool", () => {
    holds(fc.tuple(component, fc.constantFrom("amd64", "arm64", "arm")), ([word, architecture]) => {
      const template = `r.example/${word}:ARCH-ARCH`;
      expect(expandTemplate(template, { os: "linux", architecture })).toBe(
        `r.example/${word}:${architecture}-ARCH`,
      );
    });
  });

  it("answers any template and platform list with sources or the typed input error", () => {
    holds(fc.tuple(fc.oneof(braceTemplate, typed), fc.oneof(typed, platformText)), ([template, list]) => {
      valueOrInputError(() => {
        checkTemplate(template);
        return templateSources(list, template);
      });
    });
  });
});
