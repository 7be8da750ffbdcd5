import type { Fleet } from "./schema.ts";

/** Whether an image reference is pinned to a manifest digest. */
export function isPinned(reference: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(reference);
}

/**
 * What a person should know before deploying this fleet: every security opt-out, named with its risk,
 * and a helper image that a moved tag could change under running jobs.
 */
export function fleetWarnings(fleet: Fleet): string[] {
  const warnings: string[] = [];
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
    if (security.seccomp !== "RuntimeDefault")
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
