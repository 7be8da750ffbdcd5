// The rendered values.yaml, checked against what the gitlab-runner Helm chart reads: the keys of its
// values.yaml and the `.Values` paths of its templates, extracted from the packaged chart
// (reference/gitlab-runner-chart-<version>.json, by reference/extract-chart-values.ts). The TOML in
// runners.config is checked against gitlab-runner's structs in config-reference.test.ts.
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { renderValuesYaml } from "./render-values.ts";
import { chartValuesProblems, extractedChartValues } from "./testing/chart-values.ts";
import { FLEET_FIXTURES, fleetFrom, pinnedAt } from "./testing/fleets.ts";
import { extractedRunnerStructs } from "./testing/runner-structs.ts";

const CHARTS = extractedChartValues();
const PINS = [...extractedRunnerStructs().map((pin) => pin.source.tag.replace(/^v/, "")), undefined];

test("the reference holds the chart version polyarch renders for (0.86), read from a named commit", () => {
  expect(CHARTS.map((chart) => chart.source.version)).toContain("0.86.0");
  for (const chart of CHARTS) {
    expect(chart.source.packagedIn.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(chart.reads).toContain("runners.config");
  }
});

test("the check fails on a key the chart does not read and on a value of another type", () => {
  const chart = CHARTS.find((c) => c.source.version === "0.86.0")!;
  const values = { concurrent: "10", podAnnotation: { a: "b" }, rbac: { create: true, creat: true } };
  expect(chartValuesProblems(values, chart)).toEqual([
    "concurrent: rendered as string; chart 0.86.0's values.yaml default is integer",
    "podAnnotation.a: chart 0.86.0 does not read this key",
    "rbac.creat: chart 0.86.0 does not read this key",
  ]);
});

describe.each(CHARTS.map((chart) => [chart.source.version, chart] as const))("chart %s", (_, chart) => {
  // A fleet without a kubernetes runner renders no values.yaml.
  const kubernetesFleets = Object.entries(FLEET_FIXTURES).filter(([, data]) =>
    data().runners.some((runner) => (runner as { executor: string }).executor === "kubernetes"),
  );

  test("covers the fleets with a kubernetes runner", () => {
    expect(kubernetesFleets.map(([name]) => name)).toEqual([
      "example",
      "minimal",
      "maximal",
      "localhost-seccomp",
    ]);
  });

  describe.each(kubernetesFleets)("the %s fleet", (_name, data) => {
    test.each(PINS.map((pin) => [pin ?? "no version", pin] as const))(
      "pinned at %s renders values.yaml the chart reads, every key and value",
      (_label, pin) => {
        const values = renderValuesYaml(fleetFrom(pinnedAt(data(), pin)));
        expect(values).toBeDefined();
        expect(chartValuesProblems(parse(values!) as Record<string, unknown>, chart)).toEqual([]);
      },
    );
  });
});
