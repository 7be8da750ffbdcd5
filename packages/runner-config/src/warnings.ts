import { nodeTolerations } from "./node-tolerations.ts";
import { atLeast, formatVersion, pinnedRunnerVersion, TOKEN_EXPANSION_SINCE } from "./runner-version.ts";
import type { Fleet } from "./schema.ts";

/** Whether an image reference is pinned to a manifest digest. */
export function isPinned(reference: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(reference);
}

/**
 * What a person should know before deploying this fleet: every security opt-out, named with its risk,
 * a helper image that a moved tag could change under running jobs, a GitLab URL without TLS, a limit
 * the global concurrency caps, token references an older runner would not expand, and tolerations
 * gitlab-runner's table can only hold widened.
 */
export function fleetWarnings(fleet: Fleet): string[] {
  const warnings: string[] = [];
  if (fleet.gitlab.url.startsWith("http://"))
    warnings.push(
      `gitlab.url ${fleet.gitlab.url} is plain HTTP: runner tokens and job logs cross the network unencrypted; use https://`,
    );
  const pinned = pinnedRunnerVersion(fleet);
  for (const runner of fleet.runners) {
    if (runner.limit !== undefined && runner.limit > fleet.global.concurrent)
      warnings.push(
        `runners ${runner.name}: limit ${runner.limit} exceeds global.concurrent ${fleet.global.concurrent}, ` +
          `so it never runs more than ${fleet.global.concurrent} jobs; raise concurrent or lower limit`,
      );
    if ("env" in runner.token && pinned !== undefined && !atLeast(pinned.version, TOKEN_EXPANSION_SINCE))
      warnings.push(
        `runners ${runner.name}: token = "$${runner.token.env}" is expanded by gitlab-runner ${formatVersion(TOKEN_EXPANSION_SINCE)} and later, ` +
          `and this fleet pins ${formatVersion(pinned.version)} (${pinned.from}); a runner that old sends the text "$${runner.token.env}" as its token: ` +
          `upgrade it, or substitute the variable when installing config.toml (envsubst '$${runner.token.env}' < config.toml > /etc/gitlab-runner/config.toml, mode 0600)`,
      );
    if (runner.executor === "kubernetes") {
      const all = Object.values(runner.kubernetes.tolerations).flat();
      for (const { key, effects } of nodeTolerations(all).widened)
        warnings.push(
          `runners ${runner.name}: tolerations of ${key} with effects ${effects.join(" and ")} are rendered as ` +
            `node_tolerations "${key}" = "" (every effect), because gitlab-runner's node_tolerations holds one effect per key`,
        );
    }
  }
  if (fleet.helper_image !== undefined && !isPinned(fleet.helper_image))
    warnings.push(
      `helper_image ${fleet.helper_image} is not pinned by digest: whoever moves the tag changes what every ` +
        "job runs; pin it (…@sha256:…) or render with --resolve-digests",
    );
  for (const runner of fleet.runners) {
    if (runner.executor !== "kubernetes") continue;
    const security = runner.kubernetes.security;
    const at = `runners ${runner.name}: security.`;
    if (security.privileged)
      warnings.push(`${at}privileged: true gives every job root on the node and access to all its devices`);
    if (security.allow_privilege_escalation)
      warnings.push(`${at}allow_privilege_escalation: true lets setuid binaries in job images gain root`);
    if (!security.run_as_non_root)
      warnings.push(
        `${at}run_as_non_root: false lets job images run as root (uid 0) inside their containers`,
      );
    if (security.seccomp === "Unconfined")
      warnings.push(
        `${at}seccomp: ${security.seccomp} removes the system call filter between jobs and the kernel`,
      );
    if (!security.drop_all_capabilities)
      warnings.push(
        `${at}drop_all_capabilities: false keeps the container runtime's default Linux capabilities`,
      );
    if (security.add_capabilities.length > 0)
      warnings.push(
        `${at}add_capabilities grants ${security.add_capabilities.join(", ")} to build containers; ` +
          "each widens what a job can do to the node",
      );
  }
  return warnings;
}
