import { nodeTolerations, tolerationKey } from "./node-tolerations.ts";
import {
  atLeast,
  formatVersion,
  NATIVE_SECCOMP_SINCE,
  pinnedRunnerVersion,
  TOKEN_EXPANSION_SINCE,
} from "./runner-version.ts";
import type {
  Architecture,
  Cache,
  CustomRunner,
  Fleet,
  KubernetesRunner,
  Runner,
  Toleration,
} from "./schema.ts";
import { RESOURCE_KEYS } from "./schema.ts";
import { stringifyToml, TomlComment, type TomlTable } from "./toml.ts";

/**
 * Fleet → config.toml. Keys and types are those of gitlab-runner's own structs (common.Config and what it
 * reaches) at every supported pin: config-reference.test.ts checks them against reference/gitlab-runner-<tag>.json.
 */
export function renderConfigToml(fleet: Fleet): string {
  return stringifyToml({
    header: new TomlComment("Rendered by `polyarch render` from a fleet file; edit the fleet file instead."),
    concurrent: fleet.global.concurrent,
    check_interval: fleet.global.check_interval,
    log_level: fleet.global.log_level,
    log_format: fleet.global.log_format,
    shutdown_timeout: fleet.global.shutdown_timeout,
    runners: fleet.runners.map((runner) => runnerTable(fleet, runner, "config")),
  });
}

/**
 * One `[[runners]]` entry. For the chart (`target: "chart"`) url and token are left out: the chart
 * registers the runner with gitlabUrl and the token from runners.secret.
 */
export function runnerTable(fleet: Fleet, runner: Runner, target: "config" | "chart"): TomlTable {
  const common: TomlTable = {
    name: runner.name,
    url: target === "config" ? fleet.gitlab.url : undefined,
    ...tokenEntry(runner, target),
    executor: runner.executor,
    limit: runner.limit,
    request_concurrency: runner.request_concurrency,
    output_limit: runner.output_limit,
  };
  const environment = Object.entries(runner.environment)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`);
  if (runner.executor === "kubernetes")
    return {
      ...common,
      environment: environment.length > 0 ? environment : undefined,
      feature_flags: nativeSeccomp(fleet) ? undefined : { FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: true },
      cache: cacheTable(runner.cache),
      kubernetes: kubernetesTable(fleet, runner),
    };
  return {
    ...common,
    builds_dir: runner.custom.builds_dir,
    cache_dir: runner.custom.cache_dir,
    environment: environment.length > 0 ? environment : undefined,
    cache: cacheTable(runner.cache),
    custom: customTable(runner),
  };
}

function tokenEntry(runner: Runner, target: "config" | "chart"): TomlTable {
  if (target === "chart")
    return { token: new TomlComment("url and token: set by the chart (gitlabUrl, runners.secret)") };
  if ("env" in runner.token)
    return {
      token_note: new TomlComment(
        `gitlab-runner ${formatVersion(TOKEN_EXPANSION_SINCE)} and later expand $${runner.token.env} from their environment; ` +
          `for an older runner substitute it on install: envsubst '$${runner.token.env}' < config.toml > /etc/gitlab-runner/config.toml (mode 0600)`,
      ),
      token: `$${runner.token.env}`,
    };
  return {
    token: new TomlComment(
      `token: registered by the gitlab-runner chart from Secret "${runner.token.kubernetes_secret}" (key runner-token)`,
    ),
  };
}

function kubernetesTable(fleet: Fleet, runner: KubernetesRunner): TomlTable {
  const k8s = runner.kubernetes;
  const security = k8s.security;
  const resources = Object.fromEntries(RESOURCE_KEYS.map((key) => [key, k8s.resources[key]]));
  const tolerations = allTolerations(k8s.architectures, k8s.tolerations);
  const containerSecurity = (extraCapabilities: readonly string[]): TomlTable => ({
    privileged: security.privileged,
    allow_privilege_escalation: security.allow_privilege_escalation,
    run_as_non_root: security.run_as_non_root,
    capabilities: security.drop_all_capabilities
      ? { drop: ["ALL"], add: extraCapabilities.length > 0 ? extraCapabilities : undefined }
      : extraCapabilities.length > 0
        ? { add: extraCapabilities }
        : undefined,
  });
  return {
    namespace: k8s.namespace,
    service_account: k8s.service_account,
    image: k8s.image,
    helper_image: fleet.helper_image,
    privileged: security.privileged,
    allow_privilege_escalation: security.allow_privilege_escalation,
    image_pull_secrets: k8s.image_pull_secrets.length > 0 ? k8s.image_pull_secrets : undefined,
    ...resources,
    node_selector_overwrite_allowed: nodeSelectorOverwriteAllowed(k8s.architectures),
    node_tolerations_overwrite_allowed:
      tolerations.length > 0 ? anchoredAlternation(tolerations.map(tolerationOverwrite)) : undefined,
    node_selector: {
      "kubernetes.io/arch": defaultArchitecture(runner),
      "kubernetes.io/os": "linux",
      ...sortedRecord(k8s.node_selector),
    },
    node_tolerations: tolerations.length > 0 ? nodeTolerations(tolerations).table : undefined,
    pod_security_context: {
      run_as_non_root: security.run_as_non_root,
      run_as_user: security.run_as_user,
      run_as_group: security.run_as_group,
      fs_group: security.fs_group,
      seccomp_profile: nativeSeccomp(fleet)
        ? { type: security.seccomp, localhost_profile: security.seccomp_localhost_profile }
        : undefined,
    },
    build_container_security_context: containerSecurity(security.add_capabilities),
    helper_container_security_context: containerSecurity([]),
    pod_spec: nativeSeccomp(fleet)
      ? undefined
      : [
          {
            name: "seccomp",
            patch_type: "strategic",
            patch: JSON.stringify({
              securityContext: {
                seccompProfile: {
                  type: security.seccomp,
                  localhostProfile: security.seccomp_localhost_profile,
                },
              },
            }),
          },
        ],
  };
}

/**
 * gitlab-runner 18.11.0 and later set the job pod's seccomp profile from
 * `[runners.kubernetes.pod_security_context.seccomp_profile]` (KubernetesSeccompProfile); older ones need
 * a pod_spec patch, a beta feature behind FF_USE_ADVANCED_POD_SPEC_CONFIGURATION.
 */
function nativeSeccomp(fleet: Fleet): boolean {
  const pinned = pinnedRunnerVersion(fleet);
  return pinned !== undefined && atLeast(pinned.version, NATIVE_SECCOMP_SINCE);
}

export function defaultArchitecture(runner: KubernetesRunner): Architecture {
  return runner.kubernetes.default_architecture ?? runner.kubernetes.architectures[0]!;
}

/**
 * GitLab matches node_selector_overwrite_allowed unanchored, so `kubernetes.io/arch=.*` admits far more
 * than it seems (any key ending in it, any value). Anchored, it admits exactly the served architectures.
 */
export function nodeSelectorOverwriteAllowed(architectures: readonly Architecture[]): string {
  return `^kubernetes\\.io/arch=(${[...new Set(architectures)].join("|")})$`;
}

/** Every architecture's tolerations, deduplicated: a toleration only permits, so amd64 jobs lose nothing. */
function allTolerations(
  architectures: readonly Architecture[],
  byArchitecture: Partial<Record<Architecture, Toleration[]>>,
): Toleration[] {
  const seen = new Set<string>();
  return architectures
    .flatMap((arch) => byArchitecture[arch] ?? [])
    .filter((toleration) => {
      const id = tolerationOverwrite(toleration);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}

/** A `KUBERNETES_NODE_TOLERATIONS_*` value: `key=value:Effect`. */
function tolerationOverwrite(toleration: Toleration): string {
  return `${tolerationKey(toleration)}:${toleration.effect}`;
}

function anchoredAlternation(values: readonly string[]): string {
  return `^(${values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`;
}

function customTable(runner: CustomRunner): TomlTable {
  const custom = runner.custom;
  const stage = (name: string, timeout?: number): TomlTable => ({
    [`${name}_exec`]: custom.executor_path,
    [`${name}_args`]: [name, "--settings", custom.settings_path],
    ...(timeout === undefined ? {} : { [`${name}_exec_timeout`]: timeout }),
  });
  return {
    ...stage("config", custom.config_exec_timeout),
    ...stage("prepare", custom.prepare_exec_timeout),
    ...stage("run"),
    ...stage("cleanup", custom.cleanup_exec_timeout),
    graceful_kill_timeout: custom.graceful_kill_timeout,
    force_kill_timeout: custom.force_kill_timeout,
  };
}

/** [runners.cache]; its keys are CamelCase in config.toml. Credentials are never written. */
function cacheTable(cache: Cache | undefined): TomlTable | undefined {
  if (cache === undefined) return undefined;
  const common: TomlTable = { Type: cache.type, Path: cache.path, Shared: cache.shared };
  switch (cache.type) {
    case "s3":
      return {
        ...common,
        s3: {
          ServerAddress: cache.s3.server_address,
          BucketName: cache.s3.bucket_name,
          BucketLocation: cache.s3.bucket_location,
          AuthenticationType: cache.s3.authentication_type,
          ServerSideEncryption: cache.s3.server_side_encryption,
          ServerSideEncryptionKeyID: cache.s3.server_side_encryption_key_id,
        },
      };
    case "gcs":
      return {
        ...common,
        gcs: { CredentialsFile: cache.gcs.credentials_file, BucketName: cache.gcs.bucket_name },
      };
    case "azure":
      return {
        ...common,
        azure: {
          AccountName: cache.azure.account_name,
          ContainerName: cache.azure.container_name,
          StorageDomain: cache.azure.storage_domain,
        },
      };
  }
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
