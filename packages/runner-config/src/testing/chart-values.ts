import { readdirSync, readFileSync } from "node:fs";
import { type ChartValues, valueTypeOf } from "../../reference/chart-values.ts";

const REFERENCE_DIR = new URL("../../reference/", import.meta.url);

/** What the gitlab-runner chart reads, at every chart version extracted into reference/. */
export function extractedChartValues(): ChartValues[] {
  return readdirSync(REFERENCE_DIR)
    .filter((name) => /^gitlab-runner-chart-[\d.]+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(new URL(name, REFERENCE_DIR), "utf8")) as ChartValues);
}

/**
 * Every key of parsed values.yaml that the chart does not read, and every value whose type differs from
 * the default in the chart's values.yaml; empty when the chart takes all of it. A key is read when the
 * chart's templates use `.Values.<key>`, or when it lies under a path they render whole (`toYaml`: the
 * security contexts, nodeSelector, tolerations), where any key reaches Kubernetes as written.
 */
export function chartValuesProblems(values: Record<string, unknown>, chart: ChartValues): string[] {
  const problems: string[] = [];
  const reads = new Set(chart.reads);
  const freeForm = new Set(chart.freeForm);
  const walk = (value: unknown, path: string) => {
    if (freeForm.has(path)) return;
    const type = valueTypeOf(value);
    const expected = chart.values[path];
    if (expected !== undefined && expected !== "null" && expected !== type)
      problems.push(
        `${path}: rendered as ${type}; chart ${chart.source.version}'s values.yaml default is ${expected}`,
      );
    if (type === "map") {
      for (const [key, item] of Object.entries(value as Record<string, unknown>))
        walk(item, path === "" ? key : `${path}.${key}`);
    } else if (!reads.has(path))
      problems.push(`${path}: chart ${chart.source.version} does not read this key`);
  };
  walk(values, "");
  return problems;
}
