import type { Argv } from "./argv.ts";
import { DNS_FORWARDER } from "./resolv-conf.ts";

/**
 * What connects an isolated job's network namespace outwards (pure: the argv as data). pasta (package
 * passt) comes first; slirp4netns is the fallback where passt is not packaged (Ubuntu 22.04, Debian 11).
 * Neither forwards a port of the host into the job. Only pasta can map chosen host loopback ports
 * into the job's loopback (`isolated_host_ports`); slirp4netns can open the host's whole loopback
 * (10.0.2.2) or none of it, and is always told none (host/network-support.ts refuses the setting).
 */
export type ConnectorKind = "pasta" | "slirp4netns";

/** Preferred first (host/network-support.ts picks the first that runs). */
export const CONNECTORS: readonly ConnectorKind[] = ["pasta", "slirp4netns"];

/** The network a job gets (host/network-support.ts), with the connector of an isolated one. */
export type JobNetwork = { network: "host" | "none" } | { network: "isolated"; connector: ConnectorKind };

/** A job's running connector, as recorded in namespace.json (sandbox/job-namespace.ts). */
export interface Connector {
  kind: ConnectorKind;
  pid: number;
}

/** The descriptor slirp4netns writes "1" to once the job's interface is configured (`--ready-fd`). */
export const SLIRP4NETNS_READY_FD = 3;

export interface ConnectorTarget {
  /** The holder of the job's namespaces: the connector joins its user namespace, serves its network. */
  holderPid: number;
  /** Host loopback TCP ports the job reaches on its own loopback (pasta only). */
  hostPorts: readonly number[];
  /** Where pasta writes its pid once the job's interface is configured. */
  pidFile: string;
}

/**
 * Whether `cmdline` (from /proc, NUL-separated) is `kind` serving `holderPid`'s namespaces (a pid may
 * have been reused since it was recorded): `kind` is the program, or the script an interpreter runs
 * (its first argument), and an argument names the holder's user namespace, as both connectors' do.
 */
export function isConnectorOf(cmdline: string, kind: ConnectorKind, holderPid: number): boolean {
  const args = cmdline.split("\0");
  const named = args.slice(0, 2).some((arg) => arg.split("/").pop() === kind);
  return named && args.some((arg) => arg.includes(`/proc/${holderPid}/ns/user`));
}

export function connectorArgv(kind: ConnectorKind, target: ConnectorTarget): Argv {
  return kind === "pasta" ? pastaArgv(target) : slirp4netnsArgv(target);
}

/** DNS sent to pasta's forwarder goes to the host's first nameserver, from the host's side. */
function pastaArgv(target: ConnectorTarget): Argv {
  const tcpNs = target.hostPorts.length > 0 ? target.hostPorts.join(",") : "none";
  return {
    file: "pasta",
    args: [
      "--config-net",
      "--quiet",
      "--foreground",
      "--no-map-gw",
      "--dns-forward",
      DNS_FORWARDER.pasta,
      "--tcp-ports",
      "none",
      "--udp-ports",
      "none",
      "--tcp-ns",
      tcpNs,
      "--udp-ns",
      "none",
      "--pid",
      target.pidFile,
      "--userns",
      `/proc/${target.holderPid}/ns/user`,
      "--netns",
      `/proc/${target.holderPid}/ns/net`,
    ],
  };
}

/**
 * slirp4netns as Podman runs it rootless: the host's loopback closed to the job, a sandbox (its own
 * mount namespace with only /etc and /run, no capabilities) and a seccomp filter around the code that
 * parses the job's packets. Its DNS at 10.0.2.3 asks the host's first nameserver, from the host's side.
 * The target is the holder's pid, not the namespace's path: slirp4netns (1.2.0) enters the user
 * namespace for its sandbox only from a pid, and fails unprivileged with `--netns-type=path`.
 * `--userns-path` names the same namespace, so the command line says whose it is (isConnectorOf).
 */
function slirp4netnsArgv(target: ConnectorTarget): Argv {
  if (target.hostPorts.length > 0)
    throw new Error("slirp4netns cannot forward chosen host ports (isolated_host_ports needs pasta)");
  return {
    file: "slirp4netns",
    args: [
      "--configure",
      "--mtu=65520",
      "--disable-host-loopback",
      "--enable-sandbox",
      "--enable-seccomp",
      `--ready-fd=${SLIRP4NETNS_READY_FD}`,
      `--userns-path=/proc/${target.holderPid}/ns/user`,
      String(target.holderPid),
      "tap0",
    ],
  };
}
