import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Fleet, FleetInput } from "../schema.ts";
import { validateFleet } from "../validate.ts";

/** The repository's documented example, examples/fleet.yaml. */
export const EXAMPLE_FLEET_PATH = new URL("../../../../examples/fleet.yaml", import.meta.url);

export const DIGEST = `sha256:${"ab".repeat(32)}`;

export function exampleFleetData(): FleetInput {
  return parse(readFileSync(EXAMPLE_FLEET_PATH, "utf8")) as FleetInput;
}

/** A small valid fleet: one kubernetes runner (amd64 + arm64) and one custom-executor host. */
export function minimalFleetData(): FleetInput {
  return {
    version: 1,
    gitlab: { url: "https://gitlab.example.com" },
    helper_image: `registry.example.com/ci/gitlab-runner-helper:v18.10.0@${DIGEST}`,
    runners: [
      {
        name: "k8s",
        executor: "kubernetes",
        token: { kubernetes_secret: "gitlab-runner-token" },
        kubernetes: { namespace: "ci", architectures: ["amd64", "arm64"] },
      },
      { name: "host", executor: "custom", token: "$RUNNER_TOKEN" },
    ],
  };
}

/** A fleet that sets every option the renderer knows, opt-outs included. */
export function maximalFleetData(): FleetInput {
  const resources = Object.fromEntries(
    ["", "helper_", "service_"].flatMap((container) =>
      ["cpu", "memory", "ephemeral_storage"].flatMap((resource) =>
        ["request", "limit"].flatMap((kind) => [
          [`${container}${resource}_${kind}`, "1"],
          [`${container}${resource}_${kind}_overwrite_max_allowed`, "2"],
        ]),
      ),
    ),
  );
  return {
    version: 1,
    gitlab: { url: "https://gitlab.example.com/" },
    global: {
      concurrent: 4,
      check_interval: 10,
      log_level: "debug",
      log_format: "text",
      shutdown_timeout: 0,
    },
    helper_image: "registry.example.com/ci/gitlab-runner-helper:v18.5.0",
    runners: [
      {
        name: "k8s-all",
        executor: "kubernetes",
        token: { kubernetes_secret: "runner-token" },
        limit: 8,
        request_concurrency: 2,
        output_limit: 8192,
        environment: { GIT_DEPTH: "5", TEMPLATED: "{{ .Release.Name }}" },
        cache: {
          type: "s3",
          path: "cache",
          shared: true,
          credentials_secret: "s3access",
          s3: {
            bucket_name: "bucket",
            bucket_location: "eu-west-1",
            server_address: "s3.amazonaws.com",
            authentication_type: "access-key",
            server_side_encryption: "KMS",
            server_side_encryption_key_id: "alias/runner-cache",
          },
        },
        kubernetes: {
          namespace: "ci",
          service_account: "jobs",
          image: "debian:13",
          architectures: ["amd64", "arm64", "riscv64"],
          default_architecture: "arm64",
          node_selector: { "example.com/pool": "ci" },
          tolerations: {
            arm64: [{ key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" }],
            riscv64: [
              { key: "kubernetes.io/arch", value: "riscv64", effect: "NoSchedule" },
              { key: "example.com/experimental", operator: "Exists", effect: "PreferNoSchedule" },
            ],
          },
          resources,
          image_pull_secrets: ["pull-a", "pull-b"],
          security: {
            privileged: true,
            allow_privilege_escalation: true,
            run_as_non_root: false,
            run_as_user: 0,
            run_as_group: 0,
            fs_group: 0,
            seccomp: "Unconfined",
            drop_all_capabilities: false,
            add_capabilities: ["SYS_ADMIN"],
          },
          manager: {
            image: "gitlab/gitlab-runner:v18.5.0",
            service_account: "runner-manager",
            create_rbac: false,
          },
        },
      },
      {
        name: "host-gcs",
        executor: "custom",
        token: { env: "HOST_TOKEN" },
        environment: { LANG: "C.UTF-8" },
        cache: {
          type: "gcs",
          gcs: { bucket_name: "bucket", credentials_file: "/etc/gitlab-runner/gcs.json" },
        },
        custom: {
          executor_path: "/opt/polyarch/bin/polyarch-executor",
          settings_path: "/opt/polyarch/executor.yaml",
          builds_dir: "/srv/builds",
          cache_dir: "/srv/cache",
          config_exec_timeout: 60,
          prepare_exec_timeout: 1200,
          cleanup_exec_timeout: 300,
          graceful_kill_timeout: 30,
          force_kill_timeout: 10,
        },
      },
      {
        name: "host-azure",
        executor: "custom",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the runner's ${VAR} syntax, not a JS template
        token: "${AZURE_HOST_TOKEN}",
        cache: {
          type: "azure",
          azure: {
            account_name: "account",
            container_name: "cache",
            storage_domain: "blob.core.windows.net",
          },
        },
      },
    ],
  };
}

/** The minimal fleet with its job pods confined by a seccomp profile on the node. */
export function localhostSeccompFleetData(): FleetInput {
  const data = minimalFleetData();
  const kubernetes = data.runners[0] as { kubernetes: Record<string, unknown> };
  kubernetes.kubernetes.security = { seccomp: "Localhost", seccomp_localhost_profile: "profiles/ci.json" };
  return data;
}

/**
 * Custom-executor hosts only, with no helper_image: the shape test/executor's runner renders. It names no
 * runner version, so nothing pins it.
 */
export function customHostsFleetData(): FleetInput {
  return {
    version: 1,
    gitlab: { url: "https://gitlab.example.com" },
    runners: [
      {
        name: "test-host",
        executor: "custom",
        token: "$RUNNER_TOKEN",
        custom: { executor_path: "/opt/polyarch/polyarch-executor", settings_path: "/tmp/executor.yaml" },
      },
    ],
  };
}

/** Every example and test fleet, by name: what the reference tests render at each pin. */
export const FLEET_FIXTURES = {
  example: exampleFleetData,
  minimal: minimalFleetData,
  maximal: maximalFleetData,
  "localhost-seccomp": localhostSeccompFleetData,
  "custom-hosts": customHostsFleetData,
};

/** The fleet with every runner version in its images set to `version`, or removed (`undefined`). */
export function pinnedAt(data: FleetInput, version: string | undefined): FleetInput {
  const pin = (image: string) =>
    image.replace(/(^|[:-])v\d+\.\d+\.\d+(?=$|[-@])/, (_, before: string) =>
      version === undefined ? `${before}latest` : `${before}v${version}`,
    );
  const copy = structuredClone(data) as FleetInput & { helper_image?: string };
  if (copy.helper_image !== undefined) copy.helper_image = pin(copy.helper_image);
  for (const runner of copy.runners as Array<{ kubernetes?: { manager?: { image?: string } } }>) {
    const manager = runner.kubernetes?.manager;
    if (manager?.image !== undefined) manager.image = pin(manager.image);
  }
  return copy;
}

/** Validates fixture data that a test expects to be valid, failing loudly with the problems otherwise. */
export function fleetFrom(data: unknown): Fleet {
  const result = validateFleet(data);
  if (!result.ok) throw new Error(`fixture is invalid:\n${JSON.stringify(result.problems, null, 2)}`);
  return result.fleet;
}
