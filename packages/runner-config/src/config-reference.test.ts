import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderConfigToml } from "./render-toml.ts";
import { renderValuesYaml } from "./render-values.ts";
import { exampleFleetData, fleetFrom, maximalFleetData, minimalFleetData } from "./testing/fleets.ts";

/**
 * GitLab Runner's config.toml keys that polyarch writes, with their types, as GitLab documents them:
 * - https://docs.gitlab.com/runner/configuration/advanced-configuration/ (global section, [[runners]],
 *   [runners.custom], [runners.cache], [runners.cache.s3|gcs|azure], [runners.feature_flags])
 * - https://docs.gitlab.com/runner/executors/kubernetes/ (resources and their *_overwrite_max_allowed,
 *   node_selector[_overwrite_allowed], node_tolerations[_overwrite_allowed], pod_security_context,
 *   *_container_security_context with capabilities.add/drop, pod_spec name/patch/patch_type;
 *   pod_security_context.seccomp_profile_type from gitlab-runner 18.11.0, the field
 *   gitlab-org/gitlab-runner!6512 adds)
 * Paths ignore array indices; `*` stands for user-chosen keys of a table (labels, feature flags).
 */
type TomlType = "string" | "integer" | "boolean" | "string[]" | "table" | "table[]";
const KUBERNETES_RESOURCES = ["", "helper_", "service_"].flatMap((container) =>
  ["cpu", "memory", "ephemeral_storage"].flatMap((resource) =>
    ["request", "limit"].flatMap((kind) => [
      `${container}${resource}_${kind}`,
      `${container}${resource}_${kind}_overwrite_max_allowed`,
    ]),
  ),
);
const CONTAINER_SECURITY_CONTEXT: Record<string, TomlType> = {
  "": "table",
  privileged: "boolean",
  allow_privilege_escalation: "boolean",
  run_as_non_root: "boolean",
  run_as_user: "integer",
  run_as_group: "integer",
  capabilities: "table",
  "capabilities.add": "string[]",
  "capabilities.drop": "string[]",
};
const GITLAB_RUNNER_REFERENCE: Record<string, TomlType> = {
  concurrent: "integer",
  check_interval: "integer",
  log_level: "string",
  log_format: "string",
  shutdown_timeout: "integer",
  runners: "table[]",
  "runners.name": "string",
  "runners.url": "string",
  "runners.token": "string",
  "runners.executor": "string",
  "runners.limit": "integer",
  "runners.request_concurrency": "integer",
  "runners.output_limit": "integer",
  "runners.builds_dir": "string",
  "runners.cache_dir": "string",
  "runners.environment": "string[]",
  "runners.feature_flags": "table",
  "runners.feature_flags.*": "boolean",
  "runners.cache": "table",
  "runners.cache.Type": "string",
  "runners.cache.Path": "string",
  "runners.cache.Shared": "boolean",
  "runners.cache.s3": "table",
  "runners.cache.s3.ServerAddress": "string",
  "runners.cache.s3.BucketName": "string",
  "runners.cache.s3.BucketLocation": "string",
  "runners.cache.s3.AuthenticationType": "string",
  "runners.cache.s3.ServerSideEncryption": "string",
  "runners.cache.s3.ServerSideEncryptionKeyID": "string",
  "runners.cache.gcs": "table",
  "runners.cache.gcs.CredentialsFile": "string",
  "runners.cache.gcs.BucketName": "string",
  "runners.cache.azure": "table",
  "runners.cache.azure.AccountName": "string",
  "runners.cache.azure.ContainerName": "string",
  "runners.cache.azure.StorageDomain": "string",
  "runners.custom": "table",
  ...Object.fromEntries(
    ["config", "prepare", "run", "cleanup"].flatMap((stage) => [
      [`runners.custom.${stage}_exec`, "string"],
      [`runners.custom.${stage}_args`, "string[]"],
    ]),
  ),
  "runners.custom.config_exec_timeout": "integer",
  "runners.custom.prepare_exec_timeout": "integer",
  "runners.custom.cleanup_exec_timeout": "integer",
  "runners.custom.graceful_kill_timeout": "integer",
  "runners.custom.force_kill_timeout": "integer",
  "runners.kubernetes": "table",
  "runners.kubernetes.namespace": "string",
  "runners.kubernetes.service_account": "string",
  "runners.kubernetes.image": "string",
  "runners.kubernetes.helper_image": "string",
  "runners.kubernetes.privileged": "boolean",
  "runners.kubernetes.allow_privilege_escalation": "boolean",
  "runners.kubernetes.image_pull_secrets": "string[]",
  ...Object.fromEntries(KUBERNETES_RESOURCES.map((key) => [`runners.kubernetes.${key}`, "string"])),
  "runners.kubernetes.node_selector": "table",
  "runners.kubernetes.node_selector.*": "string",
  "runners.kubernetes.node_selector_overwrite_allowed": "string",
  "runners.kubernetes.node_tolerations": "table",
  "runners.kubernetes.node_tolerations.*": "string",
  "runners.kubernetes.node_tolerations_overwrite_allowed": "string",
  "runners.kubernetes.pod_security_context": "table",
  "runners.kubernetes.pod_security_context.run_as_non_root": "boolean",
  "runners.kubernetes.pod_security_context.run_as_user": "integer",
  "runners.kubernetes.pod_security_context.run_as_group": "integer",
  "runners.kubernetes.pod_security_context.fs_group": "integer",
  // gitlab-runner 18.11.0 and later (rendered only for fleets that pin such a runner).
  "runners.kubernetes.pod_security_context.seccomp_profile_type": "string",
  ...Object.fromEntries(
    ["build", "helper"].flatMap((container) =>
      Object.entries(CONTAINER_SECURITY_CONTEXT).map(([key, type]) => [
        `runners.kubernetes.${container}_container_security_context${key === "" ? "" : `.${key}`}`,
        type,
      ]),
    ),
  ),
  "runners.kubernetes.pod_spec": "table[]",
  "runners.kubernetes.pod_spec.name": "string",
  "runners.kubernetes.pod_spec.patch": "string",
  "runners.kubernetes.pod_spec.patch_type": "string",
};
/** Settings whose documented values are a closed list. */
const GITLAB_RUNNER_VALUES: Record<string, readonly unknown[]> = {
  log_level: ["debug", "info", "warn", "error", "fatal", "panic"],
  log_format: ["runner", "text", "json"],
  "runners.executor": [
    "shell",
    "docker",
    "docker-windows",
    "ssh",
    "parallels",
    "virtualbox",
    "docker+machine",
    "kubernetes",
    "custom",
  ],
  "runners.cache.Type": ["s3", "gcs", "azure"],
  "runners.cache.s3.AuthenticationType": ["iam", "access-key"],
  "runners.cache.s3.ServerSideEncryption": ["S3", "KMS"],
  "runners.kubernetes.node_tolerations.*": ["NoSchedule", "PreferNoSchedule", "NoExecute", ""],
  "runners.kubernetes.pod_spec.patch_type": ["merge", "json", "strategic"],
  "runners.kubernetes.pod_security_context.seccomp_profile_type": ["RuntimeDefault", "Unconfined"],
  "runners.feature_flags.*": [true, false],
};
const WILDCARD_TABLES = new Set([
  "runners.feature_flags",
  "runners.kubernetes.node_selector",
  "runners.kubernetes.node_tolerations",
]);

function typeOf(value: unknown): TomlType | string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === "string")) return "string[]";
    if (value.every((item) => typeof item === "object" && item !== null)) return "table[]";
    return "mixed array";
  }
  if (typeof value === "object" && value !== null) return "table";
  return typeof value;
}

/** Every [path, type, value] in a parsed config.toml, array indices dropped, wildcard tables folded. */
function settings(table: Record<string, unknown>, prefix = ""): [string, string, unknown][] {
  return Object.entries(table).flatMap(([key, value]) => {
    const path = WILDCARD_TABLES.has(prefix) ? `${prefix}.*` : prefix === "" ? key : `${prefix}.${key}`;
    const type = typeOf(value);
    const own: [string, string, unknown] = [path, type, value];
    if (type === "table") return [own, ...settings(value as Record<string, unknown>, path)];
    if (type === "table[]")
      return [own, ...(value as Record<string, unknown>[]).flatMap((item) => settings(item, path))];
    return [own];
  });
}

const FLEETS = { example: exampleFleetData, minimal: minimalFleetData, maximal: maximalFleetData };

describe.each(Object.entries(FLEETS))("config.toml of the %s fleet", (_, data) => {
  const toml = renderConfigToml(fleetFrom(data()));
  const parsed = parse(toml) as Record<string, unknown>;

  test("uses only keys of GitLab Runner's configuration reference, with their documented types", () => {
    const found = settings(parsed).map(([path, type]) => ({ path, type }));
    expect(found.length).toBeGreaterThan(10);
    for (const { path, type } of found)
      expect({ path, type }).toEqual({ path, type: GITLAB_RUNNER_REFERENCE[path] });
  });

  test("uses only documented values where the reference lists them", () => {
    for (const [path, , value] of settings(parsed)) {
      const allowed = GITLAB_RUNNER_VALUES[path];
      if (allowed !== undefined) expect(allowed, path).toContain(value);
    }
  });

  test("runners.config in values.yaml is TOML with the same settings, less url and token", () => {
    const values = renderValuesYaml(fleetFrom(data()));
    if (values === undefined) return;
    const chartToml = parse((parseYaml(values) as { runners: { config: string } }).runners.config);
    const kubernetesRunner = (parsed.runners as Record<string, unknown>[]).find(
      (r) => r.executor === "kubernetes",
    )!;
    const { url: _url, token: _token, ...expected } = kubernetesRunner;
    const escaped = JSON.parse(JSON.stringify(expected).replaceAll("{{", "{{`{{`}}"));
    expect(chartToml).toEqual({ runners: [escaped] });
  });
});
