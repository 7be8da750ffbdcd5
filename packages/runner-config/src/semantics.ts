import { upstreamHelperVersion } from "./helper-default.ts";
import { orList } from "./or-list.ts";
import type { Problem } from "./problems.ts";
import { formatPath } from "./problems.ts";
import { ARCHITECTURES } from "./schema.ts";
import { findTokenKind, literalTokenMessage } from "./tokens.ts";

/**
 * Rules that span several keys. They read the raw document defensively, so they report alongside the
 * schema's problems instead of waiting until the schema is satisfied.
 */
export function checkSemantics(data: unknown): Problem[] {
  const problems: Problem[] = [];
  const report = (path: PropertyKey[], message: string) => problems.push({ path: formatPath(path), message });

  findLiteralSecrets(data, [], report);
  if (!isRecord(data)) return problems;

  const url = data.gitlab !== undefined && isRecord(data.gitlab) ? data.gitlab.url : undefined;
  if (typeof url === "string" && /^[a-z]+:\/\/[^/]*@/i.test(url))
    report(["gitlab", "url"], "must not contain credentials (user:password@)");

  const runners = Array.isArray(data.runners) ? data.runners : [];
  const names = new Map<string, number>();
  let kubernetesRunners = 0;
  runners.forEach((runner: unknown, index) => {
    if (!isRecord(runner)) return;
    const at = (...rest: PropertyKey[]) => ["runners", index, ...rest];
    if (typeof runner.name === "string") {
      const first = names.get(runner.name);
      if (first === undefined) names.set(runner.name, index);
      else report(at("name"), `${JSON.stringify(runner.name)} is already the name of runners[${first}]`);
    }
    const token = isRecord(runner.token) ? runner.token : undefined;
    const tokenIsSecret = token !== undefined && "kubernetes_secret" in token;
    const tokenIsEnv =
      (typeof runner.token === "string" && runner.token.startsWith("$")) ||
      (token !== undefined && "env" in token);
    if (runner.executor === "kubernetes") {
      kubernetesRunners++;
      if (kubernetesRunners === 2)
        report(
          at("executor"),
          "a fleet holds at most one kubernetes runner: the gitlab-runner chart registers one runner per " +
            "Helm release; put each Kubernetes runner in its own fleet file",
        );
      if (tokenIsEnv)
        report(
          at("token"),
          "the gitlab-runner chart reads the token of a kubernetes runner from a Secret; " +
            "use token: { kubernetes_secret: NAME }",
        );
      if (isRecord(runner.kubernetes))
        checkKubernetes(runner.kubernetes, (path, message) => report(at("kubernetes", ...path), message));
      if (data.helper_image === undefined && upstreamHelperVersion(managerImageOf(runner)) === undefined)
        report(
          ["helper_image"],
          "is required for kubernetes runners before gitlab-runner 19.2.0: the multi-arch helper image, " +
            "pinned by digest (from 19.2.0 a fleet whose kubernetes.manager.image names the version gets " +
            "upstream's multi-arch helper)",
        );
    }
    if (runner.executor === "custom") {
      if (tokenIsSecret)
        report(
          at("token"),
          "a custom-executor runner runs on a host, not in the chart; use token: $RUNNER_TOKEN",
        );
      if (isRecord(runner.cache) && runner.cache.credentials_secret !== undefined)
        report(
          at("cache", "credentials_secret"),
          "is the chart's runners.cache.secretName and applies only to kubernetes runners; " +
            "on hosts use an IAM instance profile (s3) or credentials_file (gcs)",
        );
    }
  });
  return problems;
}

function checkKubernetes(
  kubernetes: Record<string, unknown>,
  report: (path: PropertyKey[], message: string) => void,
) {
  const served = Array.isArray(kubernetes.architectures)
    ? kubernetes.architectures.filter((arch): arch is string =>
        (ARCHITECTURES as readonly unknown[]).includes(arch),
      )
    : [];
  served.forEach((arch, index) => {
    if (served.indexOf(arch) !== index) report(["architectures"], `lists ${arch} twice`);
  });
  const known = (value: unknown): value is string => (ARCHITECTURES as readonly unknown[]).includes(value);
  const notServed = (arch: string) => `${arch} is not in architectures (${orList(served)})`;
  if (
    known(kubernetes.default_architecture) &&
    served.length > 0 &&
    !served.includes(kubernetes.default_architecture)
  )
    report(["default_architecture"], notServed(kubernetes.default_architecture));
  if (isRecord(kubernetes.tolerations) && served.length > 0) {
    for (const [arch, tolerations] of Object.entries(kubernetes.tolerations)) {
      if (known(arch) && !served.includes(arch)) report(["tolerations", arch], notServed(arch));
      if (!Array.isArray(tolerations)) continue;
      tolerations.forEach((toleration: unknown, index) => {
        if (isRecord(toleration) && toleration.operator === "Exists" && toleration.value !== undefined)
          report(["tolerations", arch, index, "value"], "must be omitted when operator is Exists");
      });
    }
  }
  if (isRecord(kubernetes.node_selector) && "kubernetes.io/arch" in kubernetes.node_selector)
    report(
      ["node_selector", "kubernetes.io/arch"],
      "is set by polyarch from architectures and default_architecture; remove it here",
    );
  const security = isRecord(kubernetes.security) ? kubernetes.security : {};
  if (security.run_as_user === 0 && security.run_as_non_root !== false)
    report(["security", "run_as_user"], "0 is root, which run_as_non_root refuses; use a non-zero user ID");
  if (security.seccomp === "Localhost" && security.seccomp_localhost_profile === undefined)
    report(
      ["security", "seccomp_localhost_profile"],
      "is required with seccomp: Localhost; name the profile on the node (profiles/ci.json)",
    );
  if (security.seccomp !== "Localhost" && security.seccomp_localhost_profile !== undefined)
    report(
      ["security", "seccomp_localhost_profile"],
      "applies only with seccomp: Localhost; set seccomp: Localhost or remove it",
    );
}

function findLiteralSecrets(
  value: unknown,
  path: PropertyKey[],
  report: (path: PropertyKey[], message: string) => void,
) {
  if (typeof value === "string") {
    const kind = findTokenKind(value);
    if (kind !== undefined) report(path, literalTokenMessage(kind));
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) findLiteralSecrets(item, [...path, index], report);
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      const kind = findTokenKind(key);
      if (kind !== undefined) report(path, literalTokenMessage(kind));
      findLiteralSecrets(item, [...path, key], report);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `runners[i].kubernetes.manager.image` of a raw runner, when it is text. */
function managerImageOf(runner: Record<string, unknown>): string | undefined {
  const kubernetes = runner.kubernetes;
  const manager = isRecord(kubernetes) ? kubernetes.manager : undefined;
  const image = isRecord(manager) ? manager.image : undefined;
  return typeof image === "string" ? image : undefined;
}
