import type { ConnectorKind } from "./connector.ts";

/**
 * An isolated job's resolver. The job's network namespace has a loopback of its own, so the host's
 * nameserver is out of reach whenever it is on the host's loopback (systemd-resolved's 127.0.0.53 on
 * Ubuntu, a local dnsmasq or unbound). The job's connector (sandbox/connector.ts) answers for one
 * address instead and sends what reaches it there on to the host's first nameserver, from the host's
 * side: pasta where `--dns-forward` tells it (as Podman does with pasta), slirp4netns at its fixed
 * 10.0.2.3 (its network's `.3`).
 */

/** The address an isolated job's queries go to, per connector; pasta's is link-local, shadowing no real host. */
export const DNS_FORWARDER: Record<ConnectorKind, string> = {
  pasta: "169.254.1.1",
  slirp4netns: "10.0.2.3",
};

/**
 * The job's `/etc/resolv.conf` (pure): the host's own lines with every `nameserver` line replaced by
 * the connector's forwarder, so `search`, `domain` and `options` (ndots, timeouts) stay the host's.
 */
export function isolatedResolvConf(host: string, connector: ConnectorKind): string {
  const kept = host
    .split("\n")
    .filter((line) => /^\s*(search|domain|options)\s/.test(line))
    .map((line) => line.trim());
  return [`nameserver ${DNS_FORWARDER[connector]}`, ...kept, ""].join("\n");
}
