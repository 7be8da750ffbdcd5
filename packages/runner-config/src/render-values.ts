import { Document } from "yaml";
import { defaultArchitecture, runnerTable } from "./render-toml.ts";
import type { Fleet, KubernetesRunner } from "./schema.ts";
import { stringifyToml } from "./toml.ts";

/**
 * Fleet → values.yaml for the `gitlab/gitlab-runner` Helm chart (0.86 and later; its values.yaml:
 * https://gitlab.com/gitlab-org/charts/gitlab-runner/-/blob/main/values.yaml). Undefined when the fleet
 * has no kubernetes runner. nodeSelector, tolerations and the security contexts here place and confine
 * the runner manager pod; job pods are configured in runners.config.
 */
export function renderValuesYaml(fleet: Fleet): string | undefined {
  const runner = fleet.runners.find(
    (candidate): candidate is KubernetesRunner => candidate.executor === "kubernetes",
  );
  if (runner === undefined) return undefined;
  const manager = runner.kubernetes.manager;
  const arch = defaultArchitecture(runner);
  const values = {
    gitlabUrl: fleet.gitlab.url,
    image: manager.image === undefined ? undefined : chartImage(manager.image),
    concurrent: fleet.global.concurrent,
    checkInterval: fleet.global.check_interval,
    logLevel: fleet.global.log_level,
    logFormat: fleet.global.log_format,
    shutdown_timeout: fleet.global.shutdown_timeout,
    rbac: { create: manager.create_rbac },
    serviceAccount:
      manager.service_account === undefined
        ? { create: true }
        : { create: false, name: manager.service_account },
    // The gitlab-runner image runs as user 100 with group 65533 (the chart's defaults).
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: 100,
      fsGroup: 65533,
      seccompProfile: { type: "RuntimeDefault" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    nodeSelector: { "kubernetes.io/arch": arch, "kubernetes.io/os": "linux" },
    tolerations: (runner.kubernetes.tolerations[arch] ?? []).map((toleration) => ({
      key: toleration.key,
      operator: toleration.operator,
      value: toleration.operator === "Equal" ? (toleration.value ?? "") : undefined,
      effect: toleration.effect,
    })),
    runners: {
      secret: "kubernetes_secret" in runner.token ? runner.token.kubernetes_secret : undefined,
      cache:
        runner.cache?.credentials_secret === undefined
          ? undefined
          : { secretName: runner.cache.credentials_secret },
      config: escapeHelmTemplate(stringifyToml({ runners: [runnerTable(fleet, runner, "chart")] })),
    },
  };
  const document = new Document(values);
  document.commentBefore = [
    " Values for the gitlab/gitlab-runner Helm chart (0.86 and later), rendered by `polyarch render`;",
    " edit the fleet file instead. Install or upgrade with:",
    `   helm upgrade --install gitlab-runner gitlab/gitlab-runner --namespace ${runner.kubernetes.namespace} -f values.yaml`,
  ].join("\n");
  return document.toString({ lineWidth: 0 });
}

/** The chart renders runners.config through `tpl`, so a literal `{{` would be run as a template action. */
export function escapeHelmTemplate(text: string): string {
  return text.replaceAll("{{", "{{`{{`}}");
}

/** The chart's image: { registry, image, tag } for `registry/image:tag`. */
function chartImage(reference: string): { registry: string; image: string; tag?: string } {
  const [name, digest] = reference.split("@") as [string, string | undefined];
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = hasRegistry ? first : "docker.io";
  let path = hasRegistry ? name.slice(slash + 1) : name;
  const colon = path.lastIndexOf(":");
  let tag: string | undefined;
  if (colon !== -1) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (!hasRegistry && !path.includes("/")) path = `library/${path}`;
  if (digest !== undefined) tag = `${tag ?? "latest"}@${digest}`;
  return tag === undefined ? { registry, image: path } : { registry, image: path, tag };
}
