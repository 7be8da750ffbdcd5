import { selectTags, type TagFilter, tagVersion } from "@polyarch/mirror";
import { isReceiptTag, receiptTag } from "@polyarch/oci";
import { validateFleet, validateFleetYaml } from "@polyarch/runner-config";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tag } from "./arbitraries.ts";
import { holds, typed } from "./support.ts";

const version = fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30));
const versionTag = fc
  .tuple(fc.boolean(), version, fc.option(fc.constantFrom("rc1", "alpine", "beta.2"), { nil: undefined }))
  .map(([v, [a, b, c], suffix]) => `${v ? "v" : ""}${a}.${b}.${c}${suffix ? `-${suffix}` : ""}`);
const anyTag = fc.oneof(versionTag, tag, fc.constantFrom("latest", "3", "3.19", "edge"));

describe("tag filters and semver ranges (property-based)", () => {
  it("reads x.y.z, vx.y.z and x.y as the versions they name", () => {
    holds(fc.tuple(fc.boolean(), version), ([v, [a, b, c]]) => {
      expect(tagVersion(`${v ? "v" : ""}${a}.${b}.${c}`)).toBe(`${a}.${b}.${c}`);
      expect(tagVersion(`${a}.${b}`)).toBe(`${a}.${b}.0`);
    });
  });

  it("selects a subset: no receipt, no repeat, each allowed, not denied, in range, at most latest", () => {
    const filter: fc.Arbitrary<TagFilter> = fc.record(
      {
        allow: fc.constantFrom(/^v?\d+\..*$/, /^[a-z]+$/, /^.*$/).map((re) => [re]),
        deny: fc.constantFrom(/^.*-rc1$/, /^latest$/).map((re) => [re]),
        semver: fc.constantFrom(">=3", "^1.2.0", "<10 || >20", "*"),
        latest: fc.integer({ min: 1, max: 5 }),
      },
      { requiredKeys: [] },
    );
    const tags = fc
      .tuple(fc.array(anyTag, { maxLength: 25 }), fc.array(tag, { maxLength: 3 }))
      .map(([plain, receipted]) => [...plain, ...receipted.map((t) => receiptTag(t, "0123456789abcdef"))]);
    holds(fc.tuple(tags, filter), ([input, f]) => {
      const selected = selectTags(input, f);
      expect(new Set(selected).size).toBe(selected.length);
      for (const t of selected) {
        expect(input).toContain(t);
        expect(isReceiptTag(t)).toBe(false);
        if (f.allow) expect(f.allow.some((re) => re.test(t))).toBe(true);
        if (f.deny) expect(f.deny.some((re) => re.test(t))).toBe(false);
        if (f.semver) expect(tagVersion(t)).toBeDefined();
      }
      if (f.latest !== undefined) expect(selected.length).toBeLessThanOrEqual(f.latest);
      // With no filter at all, every tag but the receipts is kept.
      if (Object.keys(f).length === 0)
        expect(selected.length).toBe(new Set(input.filter((t) => !isReceiptTag(t))).size);
    });
  });
});

// Runner names become Kubernetes object names: lowercase letters, digits and dashes.
const runnerName = fc
  .tuple(fc.string({ unit: fc.constantFrom(..."abcxyz019-"), maxLength: 8 }), fc.nat(99))
  .map(([name, n]) => `r${name}${n}`);

describe("the fleet file (property-based)", () => {
  const fleet = fc.uniqueArray(runnerName, { minLength: 1, maxLength: 4 }).map((names) => ({
    version: 1,
    gitlab: { url: "https://gitlab.example.com" },
    helper_image: `registry.example.com/ci/gitlab-runner-helper:v18.5.0@sha256:${"ab".repeat(32)}`,
    runners: names.map((name, i) =>
      // One Kubernetes runner per fleet (one per Helm release), any number of custom-executor hosts.
      i === 0
        ? {
            name,
            executor: "kubernetes",
            token: { kubernetes_secret: `${name}-token` },
            kubernetes: { namespace: "ci", architectures: ["amd64", "arm64"] },
          }
        : { name, executor: "custom", token: "$RUNNER_TOKEN" },
    ),
  }));

  it("accepts every valid fleet, as data and as YAML text", () => {
    holds(fleet, (data) => {
      expect(validateFleet(data)).toMatchObject({ ok: true });
      const result = validateFleetYaml(JSON.stringify(data, null, 2));
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.fleet.runners.map((r) => r.name)).toEqual(data.runners.map((r) => r.name));
    });
  });

  it("answers any text or document with a fleet or every problem, never an exception", () => {
    const mutated = fc
      .tuple(
        fleet,
        fc.constantFrom("version", "gitlab", "helper_image", "runners"),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([data, key, value]) => JSON.stringify({ ...data, [key]: value }));
    holds(
      fc.oneof(
        typed,
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        mutated,
      ),
      (text) => {
        const result = validateFleetYaml(text);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems) expect(typeof problem.message).toBe("string");
        }
      },
    );
  });
});
