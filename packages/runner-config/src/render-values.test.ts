import { parse as parseToml } from "smol-toml";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { escapeHelmTemplate, renderValuesYaml } from "./render-values.ts";
import { fleetFrom, maximalFleetData, minimalFleetData } from "./testing/fleets.ts";

// Which keys the chart reads, and their types: chart-reference.test.ts, against the packaged chart.
describe("values.yaml", () => {
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
