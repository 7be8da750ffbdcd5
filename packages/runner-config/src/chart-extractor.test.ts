// The extractor behind reference/gitlab-runner-chart-<version>.json, run on a small packaged chart committed
// to a real git repository, as Big Bang's wrapper chart holds the official one.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@polyarch/test-harness";
import { expect, test } from "vitest";
import { extractChartValues } from "../reference/extract-chart-values.ts";

const CHART: Record<string, string> = {
  "Chart.yaml": "apiVersion: v1\nname: gitlab-runner\nversion: 9.8.7\n",
  "values.yaml": [
    "concurrent: 10",
    "# gitlabUrl: https://gitlab.example.com/",
    "rbac:",
    "  create: false",
    "podSecurityContext:",
    "  runAsUser: 100",
    "tolerations: []",
    "runners:",
    "  config: |",
    "    [[runners]]",
    "  cache: {}",
    "",
  ].join("\n"),
  "templates/deployment.yaml": [
    "replicas: {{ .Values.concurrent }}",
    "{{- if $.Values.rbac.create }}rbac{{ end }}",
    "securityContext: {{ toYaml .Values.podSecurityContext | nindent 8 }}",
    "tolerations: {{ toYaml ( $.Values.tolerations ) }}",
    "",
  ].join("\n"),
  "templates/_helpers.tpl":
    '{{- define "url" -}}{{ .Values.gitlabUrl }}{{ .Values.runners.cache.secretName }}{{- end -}}\n',
};

test("extracts values.yaml keys and types, the templates' .Values paths and their toYaml paths", async () => {
  const dir = await tempDir();
  try {
    for (const [path, content] of Object.entries(CHART)) {
      mkdirSync(join(dir.path, "src/gitlab-runner", path, ".."), { recursive: true });
      writeFileSync(join(dir.path, "src/gitlab-runner", path), content);
    }
    mkdirSync(join(dir.path, "repo/chart/charts"), { recursive: true });
    execFileSync("tar", [
      "-czf",
      join(dir.path, "repo/chart/charts/gitlab-runner-9.8.7.tgz"),
      "-C",
      join(dir.path, "src"),
      "gitlab-runner",
    ]);
    const git = (...args: string[]) =>
      execFileSync(
        "git",
        ["-C", join(dir.path, "repo"), "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
        {
          encoding: "utf8",
        },
      ).trim();
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "vendor the chart");
    const commit = git("rev-parse", "HEAD");

    const data = extractChartValues(
      join(dir.path, "repo/.git"),
      "HEAD",
      "chart/charts/gitlab-runner-9.8.7.tgz",
    );

    expect(data.source).toEqual({
      chart: "https://gitlab.com/gitlab-org/charts/gitlab-runner",
      version: "9.8.7",
      packagedIn: { repository: expect.any(String), commit, path: "chart/charts/gitlab-runner-9.8.7.tgz" },
    });
    expect(data.values).toEqual({
      concurrent: "integer",
      rbac: "map",
      "rbac.create": "boolean",
      podSecurityContext: "map",
      "podSecurityContext.runAsUser": "integer",
      tolerations: "list",
      runners: "map",
      "runners.config": "string",
      "runners.cache": "map",
    });
    expect(data.reads).toEqual([
      "concurrent",
      "gitlabUrl",
      "podSecurityContext",
      "rbac.create",
      "runners.cache.secretName",
      "tolerations",
    ]);
    expect(data.freeForm).toEqual(["podSecurityContext", "tolerations"]);
  } finally {
    await dir.remove();
  }
});
