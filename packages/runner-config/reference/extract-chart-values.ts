/**
 * Extracts what the gitlab-runner Helm chart reads from its values, from the packaged chart itself:
 * - `values`: every key path of the chart's values.yaml with the type of its default;
 * - `reads`: every `.Values.a.b` path its templates use;
 * - `freeForm`: the paths its templates pass whole to Kubernetes (`toYaml .Values.x`), under which any key goes.
 *
 * The chart's own repository (gitlab.com/gitlab-org/charts/gitlab-runner) is not reachable from here; the
 * packaged chart is. Big Bang's wrapper chart (github.com/DoD-Platform-One/gitlab-runner) depends on
 * gitlab-runner from https://charts.gitlab.io (its Chart.lock) and commits the tarball `helm dependency
 * update` downloads to chart/charts/ (at 839115b, by Renovate); Big Bang's own changes live in the wrapper,
 * not in the tarball. It is not checked against charts.gitlab.io here (no network). Usage:
 *   bash .ci/pnpm --filter @polyarch/runner-config reference:chart GIT_DIR REV chart/charts/gitlab-runner-0.86.0.tgz
 * writes packages/runner-config/reference/gitlab-runner-chart-<version>.json.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parse } from "yaml";
import { type ChartValues, type ValueType, valueTypeOf } from "./chart-values.ts";

function git(gitDir: string, ...args: string[]): Buffer {
  return execFileSync("git", ["--git-dir", gitDir, ...args], { maxBuffer: 64 << 20 });
}

function untar(archive: Buffer, ...args: string[]): string {
  return execFileSync("tar", ["-xzO", "-f", "-", ...args], {
    input: archive,
    maxBuffer: 64 << 20,
  }).toString();
}

export function extractChartValues(gitDir: string, rev: string, tarball: string): ChartValues {
  const commit = git(gitDir, "rev-parse", `${rev}^{commit}`).toString().trim();
  const archive = git(gitDir, "show", `${commit}:${tarball}`);
  const names = execFileSync("tar", ["-tzf", "-"], { input: archive }).toString().split("\n");
  const chart = parse(untar(archive, "gitlab-runner/Chart.yaml")) as { name: string; version: string };
  if (chart.name !== "gitlab-runner")
    throw new Error(`${tarball} holds chart ${chart.name}, not gitlab-runner`);
  const values: Record<string, ValueType> = {};
  const walk = (value: unknown, path: string) => {
    values[path] = valueTypeOf(value);
    if (values[path] === "map")
      for (const [key, item] of Object.entries(value as object))
        walk(item, path === "" ? key : `${path}.${key}`);
  };
  walk(parse(untar(archive, "gitlab-runner/values.yaml")), "");
  delete values[""];

  const reads = new Set<string>();
  const freeForm = new Set<string>();
  for (const name of names.filter((n) => /^gitlab-runner\/templates\/.+\.(yaml|tpl|txt)$/.test(n))) {
    const template = untar(archive, name);
    for (const match of template.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g))
      reads.add(match[1]!.slice(1));
    for (const match of template.matchAll(/toYaml\s+\(?\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g))
      freeForm.add(match[1]!.slice(1));
  }
  return {
    source: {
      chart: "https://gitlab.com/gitlab-org/charts/gitlab-runner",
      version: chart.version,
      packagedIn: { repository: "https://github.com/DoD-Platform-One/gitlab-runner", commit, path: tarball },
    },
    extractedBy: "packages/runner-config/reference/extract-chart-values.ts",
    values,
    reads: [...reads].sort(),
    freeForm: [...freeForm].sort(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [gitDir, rev, tarball] = process.argv.slice(2);
  if (gitDir === undefined || rev === undefined || tarball === undefined) {
    console.error("usage: extract-chart-values.ts GIT_DIR REV PATH_OF_gitlab-runner-<version>.tgz");
    process.exit(2);
  }
  const data = extractChartValues(gitDir, rev, tarball);
  const out = new URL(`gitlab-runner-chart-${data.source.version}.json`, import.meta.url);
  writeFileSync(out, `${JSON.stringify(data, null, 2)}\n`);
  console.error(`wrote ${out.pathname}`);
}
