import { stat } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";
import type { Network } from "../sandbox/argv.ts";
import { CONNECTORS, type ConnectorKind, type JobNetwork } from "../sandbox/connector.ts";
import { runTool } from "../sandbox/process.ts";
import type { StageIo } from "./io.ts";

export const PASTA_FIX = "apt-get install passt (or dnf install passt)";
export const CONNECTOR_FIX = `${PASTA_FIX}; where passt is not packaged (Ubuntu 22.04, Debian 11): apt-get install slirp4netns`;
export const TUN_FIX =
  'chmod 0666 /dev/net/tun (Debian\'s default; keep it with a udev rule: KERNEL=="tun", MODE="0666")';

/**
 * Whether this host can give a job a network of its own: a connector runs (pasta, else slirp4netns:
 * sandbox/connector.ts), and /dev/net/tun opens to others (both open it from the job's namespace).
 */
export interface IsolatedNetworkSupport {
  /** Each connector's `--version` first line, up to the first that runs; undefined for the others. */
  versions: Record<ConnectorKind, string | undefined>;
  /** The connector jobs get: the first of CONNECTORS that runs. */
  connector: ConnectorKind | undefined;
  /** /dev/net/tun's permission bits, or undefined when it is missing. */
  tunMode: number | undefined;
  /** What keeps `network: isolated` from working here, each with its fix; empty when it works. */
  missing: Array<{ what: string; fix: string }>;
}

/** The one rule for doctor's connector and /dev/net/tun checks and for the network a job gets. */
export async function isolatedNetworkSupport(): Promise<IsolatedNetworkSupport> {
  const versions = { pasta: undefined, slirp4netns: undefined } as IsolatedNetworkSupport["versions"];
  // Each prepare asks: those after the first that runs are not.
  for (const kind of CONNECTORS) {
    const version = await runTool({ file: kind, args: ["--version"] });
    versions[kind] = version.exitCode === 0 ? version.tail.trim().split("\n")[0] : undefined;
    if (versions[kind] !== undefined) break;
  }
  const connector = CONNECTORS.find((kind) => versions[kind] !== undefined);
  const tun = await stat("/dev/net/tun").catch(() => undefined);
  const tunMode = tun === undefined ? undefined : tun.mode & 0o777;
  const missing: IsolatedNetworkSupport["missing"] = [];
  if (connector === undefined)
    missing.push({ what: "neither pasta nor slirp4netns is installed", fix: CONNECTOR_FIX });
  if (tunMode === undefined) missing.push({ what: "/dev/net/tun is missing", fix: TUN_FIX });
  else if ((tunMode & 0o006) !== 0o006)
    missing.push({
      what: `/dev/net/tun is mode ${tunMode.toString(8)}, which ${connector ?? "pasta or slirp4netns"} cannot open from a job's namespace`,
      fix: TUN_FIX,
    });
  return { versions, connector, tunMode, missing };
}

/** What a job gets (pure): its network, a warning for the log, or a refusal with its fix. */
export type NetworkPlan =
  | { kind: "network"; network: JobNetwork; warning?: string }
  | { kind: "refused"; reason: string; fix: string };

/**
 * The network a job gets (pure). A setting is kept as given: `isolated` on a host without a connector
 * is refused. Without one, a job gets a network of its own where the host can give it (on a shared
 * host users expect that a job reaches neither other jobs' services nor theirs, and that two jobs can
 * use one port), else the host's, with a warning naming what is missing and the fix.
 * `isolated_host_ports` with slirp4netns is refused rather than widened: slirp4netns can only open the
 * host's whole loopback to the job, or none of it.
 */
export function planJobNetwork(
  setting: Network | undefined,
  hostPorts: readonly number[],
  support: IsolatedNetworkSupport,
): NetworkPlan {
  if (setting === "host" || setting === "none") return { kind: "network", network: { network: setting } };
  const what = support.missing.map((m) => m.what).join("; ");
  const fix = [...new Set(support.missing.map((m) => m.fix))].join("; ");
  if (support.missing.length > 0 || support.connector === undefined) {
    if (setting === "isolated")
      return { kind: "refused", reason: `network: isolated cannot be given on this host: ${what}`, fix };
    return {
      kind: "network",
      network: { network: "host" },
      warning: `WARNING: this job shares the host's network (it reaches every service on the host, and its services' ports must be free there): ${what}. Fix: ${fix}; or set network: host (or isolated, or none) in the executor settings to choose`,
    };
  }
  if (refusesHostPorts(setting, hostPorts, support.connector))
    return {
      kind: "refused",
      reason: `isolated_host_ports (${hostPorts.join(", ")}) needs pasta, which this host lacks: slirp4netns, its connector here, can open the host's whole loopback to a job or none of it, not chosen ports`,
      fix: `${PASTA_FIX}; or remove isolated_host_ports from the executor settings (the job then reaches nothing on the host's loopback), or set network: host`,
    };
  return { kind: "network", network: { network: "isolated", connector: support.connector } };
}

/**
 * Whether `isolated_host_ports` is refused (pure; prepare's rule, which doctor shows): the job would be
 * isolated through slirp4netns, which cannot forward chosen host ports.
 */
export function refusesHostPorts(
  setting: Network | undefined,
  hostPorts: readonly number[],
  connector: ConnectorKind | undefined,
): boolean {
  return connector === "slirp4netns" && hostPorts.length > 0 && setting !== "host" && setting !== "none";
}

/** The network a job gets on this host (prepare): planJobNetwork, its warning to the job log. */
export async function jobNetwork(
  settings: { network: Network | undefined; isolatedHostPorts: readonly number[] },
  io: StageIo,
): Promise<JobNetwork> {
  const setting = settings.network;
  if (setting === "host" || setting === "none") return { network: setting };
  const plan = planJobNetwork(setting, settings.isolatedHostPorts, await isolatedNetworkSupport());
  if (plan.kind === "refused") throw new PolyarchError("POLYARCH_E_SANDBOX", plan.reason, { hint: plan.fix });
  if (plan.warning !== undefined) io.stdout.write(`${plan.warning}\n`);
  return plan.network;
}
