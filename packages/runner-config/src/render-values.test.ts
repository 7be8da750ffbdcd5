import { parse as parseToml } from "smol-toml";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { escapeHelmTemplate, renderValuesYaml } from "./render-values.ts";
import { fleetFrom, maximalFleetData, minimalFleetData } from "./testing/fleets.ts";

/**
 * Keys of the gitlab/gitlab-runner chart (0.86 and later) that polyarch sets, from the chart's values.yaml
 * (https://gitlab.com/gitlab-org/charts/gitlab-runner/-/blob/main/values.yaml) and
 * https://docs.gitlab.com/runner/install/kubernetes_helm_chart_configuration/. Values under
 * nodeSelector, tolerations, securityContext and podSecurityContext are Kubernetes API objects.
 */
const CHART_KEYS: Record<string, "string" | "number" | "boolean" | "object" | "array"> = {
  gitlabUrl: "string",
  image: "object",
  "image.registry": "string",
  "image.image": "string",
  "image.tag": "string",
  concurrent: "number",
  checkInterval: "number",
  logLevel: "string",
  logFormat: "string",
  shutdown_timeout: "number",
  rbac: "object",
  "rbac.create": "boolean",
  serviceAccount: "object",
  "serviceAccount.create": "boolean",
  "serviceAccount.name": "string",
  podSecurityContext: "object",
  securityContext: "object",
  nodeSelector: "object",
  tolerations: "array",
  runners: "object",
  "runners.secret": "string",
  "runners.cache": "object",
  "runners.cache.secretName": "string",
  "runners.config": "string",
};
const KUBERNETES_OBJECTS = new Set(["podSecurityContext", "securityContext", "nodeSelector", "tolerations"]);

function chartPaths(values: Record<string, unknown>, prefix = ""): [string, string][] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const type = Array.isArray(value) ? "array" : typeof value;
    if (type === "object" && !KUBERNETES_OBJECTS.has(path))
      return [[path, type], ...chartPaths(value as Record<string, unknown>, path)] as [string, string][];
    return [[path, type]] as [string, string][];
  });
}

describe("values.yaml", () => {
  test("uses only the chart's keys, with the chart's types", () => {
    for (const data of [minimalFleetData(), maximalFleetData()]) {
      const values = parse(renderValuesYaml(fleetFrom(data))!) as Record<string, unknown>;
      for (const [path, type] of chartPaths(values))
        expect({ path, type }).toEqual({ path, type: CHART_KEYS[path] });
    }
  });

  test("registers with the Secret, confines the manager pod and places it on the default architecture", () => {
    const values = parse(renderValuesYaml(fleetFrom(maximalFleetData()))!);
    expect(values).toMatchObject({
      gitlabUrl: "https://gitlab.example.com/",
      image: { registry: "docker.io", image: "gitlab/gitlab-runner", tag: "v18.5.0" },
      concurrent: 4,
      checkInterval: 10,
      logLevel: "debug",
      logFormat: "text",
      shutdown_timeout: 0,
      rbac: { create: false },
      serviceAccount: { create: false, name: "runner-manager" },
      nodeSelector: { "kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux" },
      tolerations: [{ key: "kubernetes.io/arch", operator: "Equal", value: "arm64", effect: "NoSchedule" }],
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"] },
      },
      podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      runners: { secret: "runner-token", cache: { secretName: "s3access" } },
    });
    expect(values).not.toHaveProperty("runnerToken");
    expect(values).not.toHaveProperty("runnerRegistrationToken");
  });

  test("keeps runners.config valid TOML once the chart's template expressions are left in place", () => {
    const values = parse(renderValuesYaml(fleetFrom(maximalFleetData()))!);
    const config: string = values.runners.config;
    // The fleet's "{{ .Release.Name }}" must reach jobs as text, not be run by Helm's tpl.
    expect(config).toContain('"TEMPLATED={{`{{`}} .Release.Name }}"');
    expect(config.replaceAll("{{`{{`}}", "{{")).toContain("TEMPLATED={{ .Release.Name }}");
    const runner = (parseToml(config) as { runners: Record<string, unknown>[] }).runners;
    expect(runner).toHaveLength(1);
    expect(runner[0]).toMatchObject({ name: "k8s-all", executor: "kubernetes" });
    expect(runner[0]).not.toHaveProperty("url");
    expect(runner[0]).not.toHaveProperty("token");
  });

  test("is not rendered for a fleet without a kubernetes runner", () => {
    const data = minimalFleetData();
    data.runners = data.runners.filter((runner) => runner.executor === "custom");
    expect(renderValuesYaml(fleetFrom(data))).toBeUndefined();
  });

  test("escapes only template openers", () => {
    expect(escapeHelmTemplate("a {{ b }} c }}")).toBe("a {{`{{`}} b }} c }}");
  });
});
