import { parseHelperSpec } from "@polyarch/helper-image";
import { parseMergeSpec } from "@polyarch/merge";
import { parseSyncSpec } from "@polyarch/mirror";
import { formatPlatform } from "@polyarch/oci";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { component, registry, registryReferenceText, tag } from "./arbitraries.ts";
import { holds, typed, valueOrInputError } from "./support.ts";

// JSON is YAML (1.2), so a generated spec object is written as JSON text; the parsers read YAML.
const asText = (value: unknown) => JSON.stringify(value, null, 2);

/** Arbitrary documents: any JSON value, often shaped like a mapping with a spec's keys. */
const document = (keys: readonly string[]) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })),
      fc.jsonValue({ maxDepth: 2 }),
      {
        maxKeys: 5,
      },
    ),
  );

const repository = fc
  .tuple(registry, fc.array(component, { minLength: 1, maxLength: 2 }))
  .map(([host, path]) => `${host}/${path.join("/")}`);

const platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"];

const mergeSpec = fc
  .record({
    target: repository,
    targetTag: tag,
    tags: fc.uniqueArray(tag, { maxLength: 3 }),
    annotations: fc.dictionary(
      fc.string({ unit: fc.constantFrom(..."abc.-/"), minLength: 1, maxLength: 8 }),
      fc.string({ maxLength: 10 }),
      {
        maxKeys: 3,
      },
    ),
    platforms: fc.uniqueArray(fc.constantFrom(...platforms), { minLength: 1, maxLength: 4 }),
  })
  .map(({ target, targetTag, tags, annotations, platforms }) => ({
    image: `${target}:${targetTag}`,
    tags,
    annotations,
    manifests: platforms.map((platform) => {
      const [os, architecture, variant] = platform.split("/");
      return {
        image: `${target}:${targetTag}-${architecture}${variant ?? ""}`,
        platform: { os, architecture, ...(variant && { variant }) },
      };
    }),
  }));

describe("the merge spec, manifest-tool's from-spec YAML (property-based)", () => {
  it("reads back every valid spec it is given", () => {
    holds(mergeSpec, (spec) => {
      const parsed = parseMergeSpec(asText(spec), "spec.yaml");
      expect(parsed.image).toBe(spec.image);
      expect(parsed.tags).toEqual(spec.tags);
      expect(parsed.annotations).toEqual(spec.annotations);
      expect(parsed.sources.map((s) => s.text)).toEqual(spec.manifests.map((m) => m.image));
      expect(parsed.sources.map((s) => s.platform && formatPlatform(s.platform))).toEqual(
        spec.manifests.map((m) =>
          [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/"),
        ),
      );
    });
  });

  it("answers any document with a spec or the typed input error", () => {
    holds(fc.oneof(typed, document(["image", "tags", "annotations", "manifests"]).map(asText)), (text) => {
      valueOrInputError(() => parseMergeSpec(text, "spec.yaml"));
    });
  });

  it("refuses a valid spec with a misspelt key, naming the key", () => {
    holds(fc.tuple(mergeSpec, fc.constantFrom("image", "tags", "manifests")), ([spec, key]) => {
      const { [key as keyof typeof spec]: value, ...rest } = spec;
      const outcome = valueOrInputError(() =>
        parseMergeSpec(asText({ ...rest, [`${key}s`]: value }), "spec.yaml"),
      );
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.message).toContain(`${key}s`);
    });
  });
});

const semverRange = fc.oneof(
  fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]) => `>=${a}.${b}`),
  fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)).map(([a, b, c]) => `^${a}.${b}.${c}`),
  fc.tuple(fc.nat(9), fc.nat(9)).map(([a, b]) => `~${a}.${b} || >${b}`),
  fc.constantFrom("*", "1.x", ">=3.19 <4"),
);

const syncSpec = fc
  .record({
    concurrency: fc.integer({ min: 1, max: 64 }),
    images: fc.array(
      fc.record({
        source: repository,
        target: fc.oneof(repository, fc.constant("oci:/srv/airgap")),
        allow: fc.option(fc.constantFrom(["3\\.\\d+"], ["v.*", "latest"], ["[a-z]+"]), { nil: undefined }),
        semver: fc.option(semverRange, { nil: undefined }),
        latest: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ concurrency, images }) => ({
    concurrency,
    images: images.map(({ source, target, allow, semver, latest }) => ({
      source,
      target,
      tags: { ...(allow && { allow }), ...(semver && { semver }), ...(latest && { latest }) },
    })),
  }));

describe("the sync spec (property-based)", () => {
  it("reads back every valid spec it is given", () => {
    holds(syncSpec, (spec) => {
      const parsed = parseSyncSpec(asText(spec), "sync.yaml");
      expect(parsed.concurrency).toBe(spec.concurrency);
      expect(parsed.images.map((i) => i.tags?.semver)).toEqual(spec.images.map((i) => i.tags.semver));
      expect(parsed.images.map((i) => i.tags?.latest)).toEqual(spec.images.map((i) => i.tags.latest));
      expect(parsed.images.map((i) => i.tags?.allow?.length)).toEqual(
        spec.images.map((i) => i.tags.allow?.length),
      );
    });
  });

  it("answers any document, any tag pattern and any semver range with a spec or the typed input error", () => {
    const image = fc.record({
      source: fc.oneof(repository, typed),
      target: repository,
      tags: fc.record({ semver: typed, allow: fc.array(typed, { maxLength: 2 }) }, { requiredKeys: [] }),
    });
    holds(
      fc.oneof(
        typed,
        document(["concurrency", "registries", "defaults", "images"]).map(asText),
        fc.array(image, { maxLength: 2 }).map((images) => asText({ images })),
      ),
      (text) => {
        valueOrInputError(() => parseSyncSpec(text, "sync.yaml"));
      },
    );
  });
});

const architectures = ["x86_64", "arm64", "arm", "s390x", "ppc64le", "riscv64"];
const helperSpec = fc
  .record({
    range: fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]) => `>=${a}.${b}.0`),
    latest: fc.integer({ min: 1, max: 100 }),
    flavors: fc.uniqueArray(fc.constantFrom("alpine", "alpine-latest", "ubuntu", "alpine3.21"), {
      minLength: 1,
      maxLength: 3,
    }),
    architectures: fc.uniqueArray(fc.constantFrom(...architectures), { minLength: 1, maxLength: 3 }),
    target: repository,
    tag: fc.constantFrom("{prefix}v{version}", "{flavor}-{version}", "v{version}-{flavor}"),
  })
  .map(({ range, latest, flavors, architectures, target, tag }) => ({
    versions: { range, latest },
    flavors,
    architectures,
    target: { repository: target, tag },
  }));

describe("the helper spec (property-based)", () => {
  it("reads back every valid spec it is given", () => {
    holds(helperSpec, (spec) => {
      const parsed = parseHelperSpec(asText(spec), "helper.yaml");
      expect(parsed.versions).toEqual(spec.versions);
      expect(parsed.flavors.map((f) => f.name)).toEqual(spec.flavors);
      expect(parsed.target).toEqual(spec.target);
    });
  });

  it("answers any document with a spec or the typed input error", () => {
    holds(
      fc.oneof(
        typed,
        document(["upstream", "versions", "flavors", "architectures", "target", "concurrency"]).map(asText),
        fc
          .tuple(helperSpec, typed, typed)
          .map(([spec, range, repo]) =>
            asText({ ...spec, versions: { range }, target: { repository: repo } }),
          ),
      ),
      (text) => {
        valueOrInputError(() => parseHelperSpec(text, "helper.yaml"));
      },
    );
  });
});

describe("references inside specs (property-based)", () => {
  it("quote a bad image reference with its path in the spec", () => {
    holds(fc.tuple(registryReferenceText, typed), ([good, bad]) => {
      const outcome = valueOrInputError(() =>
        parseMergeSpec(
          asText({
            image: good,
            manifests: [{ image: bad, platform: { os: "linux", architecture: "amd64" } }],
          }),
          "s.yaml",
        ),
      );
      if (!outcome.ok && outcome.message.includes("manifests[0].image"))
        expect(outcome.message).toContain("s.yaml");
    });
  });
});
