/**
 * An isolated job's resolver. The job's network namespace has a loopback of its own, so the host's
 * nameserver is out of reach whenever it is on the host's loopback (systemd-resolved's 127.0.0.53 on
 * Ubuntu, a local dnsmasq or unbound). pasta answers for one address instead (`--dns-forward`) and
 * sends what reaches it there on to the host's first nameserver, from the host's side, as Podman
 * does with pasta.
 */

/** The address an isolated job's queries go to; link-local, so no real host is shadowed. */
export const DNS_FORWARD_ADDRESS = "169.254.1.1";

/**
 * The job's `/etc/resolv.conf` (pure): the host's own lines with every `nameserver` line replaced by
 * the one pasta forwards, so `search`, `domain` and `options` (ndots, timeouts) stay the host's.
 */
export function isolatedResolvConf(host: string): string {
  const kept = host
    .split("\n")
    .filter((line) => /^\s*(search|domain|options)\s/.test(line))
    .map((line) => line.trim());
  return [`nameserver ${DNS_FORWARD_ADDRESS}`, ...kept, ""].join("\n");
}
