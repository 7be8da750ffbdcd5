// What polyarch renders, checked against gitlab-runner's own structs: the keys and Go types of
// common.Config and everything it reaches, extracted from gitlab-runner's source at every supported pin
// (reference/gitlab-runner-<tag>.json, by reference/extract-runner-config.ts). Every example and test fleet
// is rendered pinned at each tag (and unpinned), and the TOML must hold only keys that runner reads, with
// values it decodes.
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderConfigToml } from "./render-toml.ts";
import { renderValuesYaml } from "./render-values.ts";
import { formatVersion, pinnedRunnerVersion } from "./runner-version.ts";
import type { FleetInput } from "./schema.ts";
import { FLEET_FIXTURES, fleetFrom, pinnedAt } from "./testing/fleets.ts";
import { extractedRunnerStructs, runnerConfigProblems } from "./testing/runner-structs.ts";

const PINS = extractedRunnerStructs();

/** TOML as gitlab-runner's decoder sees it: integers kept apart from floats. */
const parseToml = (text: string) => parse(text, { integersAsBigInt: true }) as Record<string, unknown>;

/** The TOML the chart passes to the runner: values.yaml's runners.config. */
function chartConfig(data: FleetInput): Record<string, unknown> | undefined {
  const values = renderValuesYaml(fleetFrom(data));
  return values === undefined
    ? undefined
    : parseToml((parseYaml(values) as { runners: { config: string } }).runners.config);
}

test("the reference covers the supported pins, each read from a named tag and commit", () => {
  const tags = PINS.map((pin) => pin.source.tag);
  expect(tags).toEqual(expect.arrayContaining(["v18.5.0", "v18.9.0", "v18.11.0"]));
  for (const pin of PINS) {
    expect(pin.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(pin.structs[pin.root]?.fields.runners?.type).toMatchObject({ kind: "array" });
  }
});

test("the check fails on a key the runner lacks, a value it would not decode and a value it refuses", () => {
  const v18_11 = PINS.find((pin) => pin.source.tag === "v18.11.0")!;
  const config = parseToml(`
concurrent = "10"
[[runners]]
name = "r"
executor = "kubernetes"
environment = "A=1"
[runners.kubernetes]
namespace = "ci"
[runners.kubernetes.pod_security_context]
seccomp_profile_type = "RuntimeDefault"
[runners.kubernetes.pod_spec]
name = "p"
[runners.kubernetes.build_container_security_context.seccomp_profile]
type = "runtime/default"
`);
  expect(runnerConfigProblems(config, v18_11)).toEqual([
    'concurrent: the string "10" where gitlab-runner v18.11.0 decodes an integer',
    'runners[0].environment: the string "A=1" where gitlab-runner v18.11.0 decodes an array',
    expect.stringMatching(
      /^runners\[0\]\.kubernetes\.pod_security_context\.seccomp_profile_type: gitlab-runner v18\.11\.0 has no such key \(common\.KubernetesPodSecurityContext has .*seccomp_profile/,
    ),
    "runners[0].kubernetes.pod_spec: a table where gitlab-runner v18.11.0 decodes an array",
    'runners[0].kubernetes.build_container_security_context.seccomp_profile.type: the string "runtime/default" is not one gitlab-runner v18.11.0 accepts (common.validSeccompProfileTypes: RuntimeDefault, Unconfined, Localhost)',
  ]);
});

/** Fleets whose images name a runner version; the others render alike for every runner ("unpinned"). */
const pinnable = (data: () => FleetInput) =>
  pinnedRunnerVersion(fleetFrom(pinnedAt(data(), "18.5.0"))) !== undefined;

test("every fleet with a kubernetes runner can be pinned", () => {
  expect(
    Object.keys(FLEET_FIXTURES).filter((name) =>
      pinnable(FLEET_FIXTURES[name as keyof typeof FLEET_FIXTURES]),
    ),
  ).toEqual(["example", "minimal", "maximal", "localhost-seccomp"]);
});

describe.each(Object.entries(FLEET_FIXTURES))("the %s fleet", (_, data) => {
  for (const reference of pinnable(data) ? PINS : []) {
    const tag = reference.source.tag;
    const fleet = pinnedAt(data(), tag.replace(/^v/, ""));
    describe(`pinned at ${tag}`, () => {
      test("is pinned there", () => {
        const pinned = pinnedRunnerVersion(fleetFrom(fleet));
        expect(pinned === undefined ? undefined : `v${formatVersion(pinned.version)}`).toBe(tag);
      });

      test("renders a config.toml that runner reads, every key and value", () => {
        expect(runnerConfigProblems(parseToml(renderConfigToml(fleetFrom(fleet))), reference)).toEqual([]);
      });

      test("renders a runners.config for the chart that runner reads", () => {
        const config = chartConfig(fleet);
        if (config !== undefined) expect(runnerConfigProblems(config, reference)).toEqual([]);
      });
    });
  }

  describe("unpinned", () => {
    const fleet = pinnedAt(data(), undefined);

    test("is pinned nowhere", () => {
      expect(pinnedRunnerVersion(fleetFrom(fleet))).toBeUndefined();
    });

    test.each(PINS.map((pin) => [pin.source.tag, pin] as const))(
      "renders a config.toml and a runners.config that gitlab-runner %s reads",
      (_tag, reference) => {
        expect(runnerConfigProblems(parseToml(renderConfigToml(fleetFrom(fleet))), reference)).toEqual([]);
        const config = chartConfig(fleet);
        if (config !== undefined) expect(runnerConfigProblems(config, reference)).toEqual([]);
      },
    );
  });

  test("runners.config in values.yaml is TOML with the same settings, less url and token", () => {
    const parsed = parseToml(renderConfigToml(fleetFrom(data())));
    const chartToml = chartConfig(data());
    if (chartToml === undefined) return;
    const kubernetesRunner = (parsed.runners as Record<string, unknown>[]).find(
      (r) => r.executor === "kubernetes",
    )!;
    const { url: _url, token: _token, ...expected } = kubernetesRunner;
    const escaped = JSON.parse(
      JSON.stringify(expected, (_key, value) => (typeof value === "bigint" ? `${value}n` : value)).replaceAll(
        "{{",
        "{{`{{`}}",
      ),
    );
    const chart = JSON.parse(
      JSON.stringify(chartToml, (_key, value) => (typeof value === "bigint" ? `${value}n` : value)),
    );
    expect(chart).toEqual({ runners: [escaped] });
  });
});
