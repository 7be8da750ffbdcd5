import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { nodeSelectorOverwriteAllowed, renderConfigToml } from "./render-toml.ts";
import { fleetFrom, maximalFleetData, minimalFleetData } from "./testing/fleets.ts";
import { fleetWarnings } from "./warnings.ts";

// biome-ignore lint/suspicious/noExplicitAny: the parsed TOML is inspected by path
type Parsed = any;
const render = (data: unknown): Parsed => parse(renderConfigToml(fleetFrom(data)));

describe("node selection by architecture", () => {
  // GitLab Runner tests the job's KUBERNETES_NODE_SELECTOR_* value with Go's regexp MatchString, unanchored.
  const admits = (pattern: string, value: string) => new RegExp(pattern).test(value);

  test("admits exactly the served architectures, where GitLab's documented .* admits anything containing it", () => {
    const allowed = nodeSelectorOverwriteAllowed(["amd64", "arm64"]);
    expect(allowed).toBe("^kubernetes\\.io/arch=(amd64|arm64)$");
    expect(admits(allowed, "kubernetes.io/arch=amd64")).toBe(true);
    expect(admits(allowed, "kubernetes.io/arch=arm64")).toBe(true);
    for (const smuggled of [
      "kubernetes.io/arch=s390x",
      "kubernetes.io/arch=arm64x",
      "evil/kubernetes.io/arch=arm64",
      "kubernetesXio/arch=arm64",
      "kubernetes.io/arch=arm64,node-role=control-plane",
    ]) {
      expect(admits(allowed, smuggled), smuggled).toBe(false);
      expect(admits("kubernetes.io/arch=.*", smuggled), smuggled).toBe(true);
    }
  });

  test("selects the default architecture and Linux, adds extra selectors, and tolerates every pool's taints", () => {
    const kubernetes = render(maximalFleetData()).runners[0].kubernetes;
    expect(kubernetes.node_selector).toEqual({
      "kubernetes.io/arch": "arm64",
      "kubernetes.io/os": "linux",
      "example.com/pool": "ci",
    });
    expect(kubernetes.node_selector_overwrite_allowed).toBe("^kubernetes\\.io/arch=(amd64|arm64|riscv64)$");
    expect(kubernetes.node_tolerations).toEqual({
      "kubernetes.io/arch=arm64": "NoSchedule",
      "kubernetes.io/arch=riscv64": "NoSchedule",
      "example.com/experimental": "PreferNoSchedule",
    });
    const tolerationsAllowed = new RegExp(kubernetes.node_tolerations_overwrite_allowed);
    expect(tolerationsAllowed.test("kubernetes.io/arch=riscv64:NoSchedule")).toBe(true);
    expect(tolerationsAllowed.test("example.com/experimental:PreferNoSchedule")).toBe(true);
    expect(tolerationsAllowed.test("node-role.kubernetes.io/control-plane:NoSchedule")).toBe(false);
    expect(tolerationsAllowed.test("")).toBe(false);
  });

  test("uses the first architecture by default and leaves toleration overwrites off without tolerations", () => {
    const kubernetes = render(minimalFleetData()).runners[0].kubernetes;
    expect(kubernetes.node_selector["kubernetes.io/arch"]).toBe("amd64");
    expect(kubernetes).not.toHaveProperty("node_tolerations");
    expect(kubernetes).not.toHaveProperty("node_tolerations_overwrite_allowed");
  });
});

describe("security", () => {
  test("is unprivileged by default: no privilege, non-root, RuntimeDefault seccomp, no capabilities", () => {
    const runner = render(minimalFleetData()).runners[0];
    const kubernetes = runner.kubernetes;
    expect(kubernetes.privileged).toBe(false);
    expect(kubernetes.allow_privilege_escalation).toBe(false);
    expect(kubernetes.pod_security_context).toEqual({
      run_as_non_root: true,
      run_as_user: 1000,
      run_as_group: 1000,
      fs_group: 1000,
    });
    for (const container of ["build", "helper"])
      expect(kubernetes[`${container}_container_security_context`]).toEqual({
        privileged: false,
        allow_privilege_escalation: false,
        run_as_non_root: true,
        capabilities: { drop: ["ALL"] },
      });
    expect(runner.feature_flags).toEqual({ FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: true });
    expect(kubernetes.pod_spec).toEqual([
      {
        name: "seccomp",
        patch_type: "strategic",
        patch: '{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}',
      },
    ]);
    expect(fleetWarnings(fleetFrom(minimalFleetData()))).toEqual([]);
  });

  test("renders explicit opt-outs as written and warns about each with its risk", () => {
    const fleet = fleetFrom(maximalFleetData());
    const kubernetes = parse(renderConfigToml(fleet)).runners as Parsed;
    const k8s = kubernetes[0].kubernetes;
    expect(k8s.privileged).toBe(true);
    expect(k8s.build_container_security_context).toEqual({
      privileged: true,
      allow_privilege_escalation: true,
      run_as_non_root: false,
      capabilities: { add: ["SYS_ADMIN"] },
    });
    expect(k8s.helper_container_security_context).not.toHaveProperty("capabilities");
    expect(k8s.pod_spec[0].patch).toContain('"type":"Unconfined"');
    const warnings = fleetWarnings(fleet).join("\n");
    for (const risk of [
      /privileged: true gives every job root on the node/,
      /allow_privilege_escalation: true lets setuid binaries/,
      /run_as_non_root: false lets job images run as root/,
      /seccomp: Unconfined removes the system call filter/,
      /drop_all_capabilities: false keeps the container runtime's default/,
      /add_capabilities grants SYS_ADMIN/,
      /helper_image .* is not pinned by digest/,
    ])
      expect(warnings).toMatch(risk);
  });
});

describe("runners", () => {
  test("point every custom-executor stage at the one polyarch executor binary, stage and settings file as arguments", () => {
    const [, gcsHost, azureHost] = render(maximalFleetData()).runners;
    expect(gcsHost).toMatchObject({
      executor: "custom",
      token: "$HOST_TOKEN",
      builds_dir: "/srv/builds",
      cache_dir: "/srv/cache",
      environment: ["LANG=C.UTF-8"],
    });
    expect(gcsHost.custom).toEqual({
      config_exec: "/opt/polyarch/bin/polyarch-executor",
      config_args: ["config", "--settings", "/opt/polyarch/executor.yaml"],
      config_exec_timeout: 60,
      prepare_exec: "/opt/polyarch/bin/polyarch-executor",
      prepare_args: ["prepare", "--settings", "/opt/polyarch/executor.yaml"],
      prepare_exec_timeout: 1200,
      run_exec: "/opt/polyarch/bin/polyarch-executor",
      run_args: ["run", "--settings", "/opt/polyarch/executor.yaml"],
      cleanup_exec: "/opt/polyarch/bin/polyarch-executor",
      cleanup_args: ["cleanup", "--settings", "/opt/polyarch/executor.yaml"],
      cleanup_exec_timeout: 300,
      graceful_kill_timeout: 30,
      force_kill_timeout: 10,
    });
    expect(azureHost.token).toBe("$AZURE_HOST_TOKEN");
  });

  test("write the token reference for hosts and leave the token of a chart-registered runner out", () => {
    const text = renderConfigToml(fleetFrom(minimalFleetData()));
    const [k8s, host] = parse(text).runners as Parsed;
    expect(host.token).toBe("$RUNNER_TOKEN");
    expect(k8s).not.toHaveProperty("token");
    expect(text).toContain(
      '# token: registered by the gitlab-runner chart from Secret "gitlab-runner-token"',
    );
  });

  test("write each cache backend in GitLab's CamelCase keys, without credentials", () => {
    const [k8s, gcsHost, azureHost] = render(maximalFleetData()).runners;
    expect(k8s.cache).toEqual({
      Type: "s3",
      Path: "cache",
      Shared: true,
      s3: {
        ServerAddress: "s3.amazonaws.com",
        BucketName: "bucket",
        BucketLocation: "eu-west-1",
        AuthenticationType: "access-key",
        ServerSideEncryption: "KMS",
        ServerSideEncryptionKeyID: "alias/runner-cache",
      },
    });
    expect(gcsHost.cache).toEqual({
      Type: "gcs",
      Shared: false,
      gcs: { CredentialsFile: "/etc/gitlab-runner/gcs.json", BucketName: "bucket" },
    });
    expect(azureHost.cache.azure).toEqual({
      AccountName: "account",
      ContainerName: "cache",
      StorageDomain: "blob.core.windows.net",
    });
  });

  test("render the global section and every resource setting the fleet gives", () => {
    const parsed = render(maximalFleetData());
    expect(parsed).toMatchObject({
      concurrent: 4,
      check_interval: 10,
      log_level: "debug",
      log_format: "text",
      shutdown_timeout: 0,
    });
    const kubernetes = parsed.runners[0].kubernetes;
    expect(kubernetes.memory_limit_overwrite_max_allowed).toBe("2");
    expect(kubernetes.helper_ephemeral_storage_request).toBe("1");
    expect(kubernetes.service_cpu_limit_overwrite_max_allowed).toBe("2");
    expect(kubernetes.image_pull_secrets).toEqual(["pull-a", "pull-b"]);
  });
});
