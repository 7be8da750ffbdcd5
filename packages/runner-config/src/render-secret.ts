import { Document } from "yaml";
import type { Fleet } from "./schema.ts";

/** Stands where the token goes; deliberately not shaped like a token. */
export const TOKEN_PLACEHOLDER = "REPLACE_WITH_RUNNER_AUTHENTICATION_TOKEN";

/**
 * A template of the Secret the chart reads (runners.secret: keys runner-token and
 * runner-registration-token), with a placeholder instead of a token. Undefined when no runner
 * names a Kubernetes Secret.
 */
export function renderSecretExample(fleet: Fleet): string | undefined {
  for (const runner of fleet.runners) {
    if (runner.executor !== "kubernetes" || !("kubernetes_secret" in runner.token)) continue;
    const namespace = runner.kubernetes.namespace;
    const document = new Document({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: runner.token.kubernetes_secret, namespace },
      type: "Opaque",
      stringData: { "runner-token": TOKEN_PLACEHOLDER, "runner-registration-token": "" },
    });
    document.commentBefore = [
      ` The Secret that runner ${runner.name} reads its runner authentication token from.`,
      " Put the token (glrt-…, from GitLab: Settings > CI/CD > Runners > New runner) in place of the",
      " placeholder, apply it, and never commit the filled-in copy:",
      `   kubectl apply --namespace ${namespace} -f secret.yaml`,
      " runner-registration-token stays empty: legacy registration tokens are not used.",
    ].join("\n");
    return document.toString({ lineWidth: 0 });
  }
  return undefined;
}
