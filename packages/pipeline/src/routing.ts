import { PolyarchError } from "@polyarch/errors";
import { formatPlatform, type Platform, parsePlatform } from "@polyarch/oci";

export type Env = Readonly<Record<string, string | undefined>>;

/** The architecture the job asked its runner for, and the variable that says so. */
export interface RequestedPlatform {
  architecture: string;
  variant?: string;
  from: "POLYARCH_PLATFORM" | "KUBERNETES_NODE_SELECTOR_ARCH";
}

/**
 * What the job asked for: `POLYARCH_PLATFORM` (os/arch[/variant]), else the architecture in GitLab's
 * `KUBERNETES_NODE_SELECTOR_ARCH` (`kubernetes.io/arch=arm64`, the node selector a job may override).
 */
export function requestedPlatform(env: Env): RequestedPlatform | undefined {
  const stated = env.POLYARCH_PLATFORM?.trim();
  if (stated) {
    const platform = parsePlatform(stated);
    return {
      architecture: platform.architecture,
      ...(platform.variant !== undefined && { variant: platform.variant }),
      from: "POLYARCH_PLATFORM",
    };
  }
  const selector = env.KUBERNETES_NODE_SELECTOR_ARCH?.trim();
  if (selector) {
    const value = selector.includes("=") ? selector.slice(selector.indexOf("=") + 1) : selector;
    const platform = parsePlatform(`linux/${value.trim()}`);
    return { architecture: platform.architecture, from: "KUBERNETES_NODE_SELECTOR_ARCH" };
  }
  return undefined;
}

/**
 * Fails a job that landed on the wrong node (pure): the job asked for one architecture and the machine is
 * another. The classic cause is a node selector set in the job that the runner did not let it override.
 * Skipped when the build is emulated on purpose for the platform the job asked for.
 */
export function checkRouting(
  host: Platform,
  requested: RequestedPlatform | undefined,
  emulated: Platform | undefined,
): void {
  if (requested === undefined) return;
  const wanted = requested.variant
    ? `${requested.architecture}/${requested.variant}`
    : requested.architecture;
  const matches = (p: Platform) =>
    p.architecture === requested.architecture &&
    (requested.variant === undefined || p.variant === requested.variant);
  if (matches(host) || (emulated !== undefined && matches(emulated))) return;
  throw new PolyarchError(
    "POLYARCH_E_MISROUTED",
    `this job asked for ${wanted} (${requested.from}) but runs on a ${formatPlatform(host)} machine; nothing was built`,
    {
      hint:
        requested.from === "KUBERNETES_NODE_SELECTOR_ARCH"
          ? "the runner ignored the job's node selector: allow it in the runner's config.toml ([runners.kubernetes] node_selector_overwrite_allowed = \"kubernetes.io/arch=.*\"), or give the job the runner tag of an arm64/amd64 runner"
          : "check the job's runner tags and the runner's node selector (node_selector_overwrite_allowed in config.toml); --platform P --emulate builds for another platform on purpose",
    },
  );
}
