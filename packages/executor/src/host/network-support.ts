import { stat } from "node:fs/promises";
import type { Network } from "../sandbox/argv.ts";
import { runTool } from "../sandbox/process.ts";
import type { StageIo } from "./io.ts";

export const PASTA_FIX = "apt-get install passt (or dnf install passt)";
export const TUN_FIX =
  'chmod 0666 /dev/net/tun (Debian\'s default; keep it with a udev rule: KERNEL=="tun", MODE="0666")';

/** Whether this host can give a job a network of its own: pasta runs, and /dev/net/tun opens to others. */
export interface IsolatedNetworkSupport {
  /** `pasta --version`'s output, or undefined when pasta does not run. */
  pasta: string | undefined;
  /** /dev/net/tun's permission bits, or undefined when it is missing. */
  tunMode: number | undefined;
  /** What keeps `network: isolated` from working here, each with its fix; empty when it works. */
  missing: Array<{ what: string; fix: string }>;
}

/** The one rule for doctor's pasta and /dev/net/tun checks and for the default network of a job. */
export async function isolatedNetworkSupport(): Promise<IsolatedNetworkSupport> {
  const version = await runTool({ file: "pasta", args: ["--version"] });
  const pasta = version.exitCode === 0 ? version.tail.trim().split("\n")[0] : undefined;
  const tun = await stat("/dev/net/tun").catch(() => undefined);
  const tunMode = tun === undefined ? undefined : tun.mode & 0o777;
  const missing: IsolatedNetworkSupport["missing"] = [];
  if (pasta === undefined) missing.push({ what: "pasta is not installed", fix: PASTA_FIX });
  if (tunMode === undefined) missing.push({ what: "/dev/net/tun is missing", fix: TUN_FIX });
  else if ((tunMode & 0o006) !== 0o006)
    missing.push({
      what: `/dev/net/tun is mode ${tunMode.toString(8)}, which pasta cannot open from a job's namespace`,
      fix: TUN_FIX,
    });
  return { pasta, tunMode, missing };
}

/**
 * The network a job gets. A setting is kept as given (`isolated` on a host without pasta then fails
 * the job). Without one, a job gets a network of its own where the host can give it (on a shared host
 * users expect that a job reaches neither other jobs' services nor theirs, and that two jobs can use
 * one port), else the host's, with a WARNING in the job log naming what is missing and the fix.
 */
export async function jobNetwork(setting: Network | undefined, io: StageIo): Promise<Network> {
  if (setting !== undefined) return setting;
  const support = await isolatedNetworkSupport();
  if (support.missing.length === 0) return "isolated";
  io.stdout.write(
    `WARNING: this job shares the host's network (it reaches every service on the host, and its services' ports must be free there): ${support.missing.map((m) => m.what).join("; ")}. Fix: ${[...new Set(support.missing.map((m) => m.fix))].join("; ")}; or set network: host (or isolated, or none) in the executor settings to choose\n`,
  );
  return "host";
}
