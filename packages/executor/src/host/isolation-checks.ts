import { stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { runTool } from "../sandbox/process.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import type { DoctorCheck } from "./doctor.ts";
import {
  CONNECTOR_FIX,
  type IsolatedNetworkSupport,
  isolatedNetworkSupport,
  PASTA_FIX,
  refusesHostPorts,
  TUN_FIX,
} from "./network-support.ts";
import {
  addSubordinateIdsCommand,
  isFullRange,
  readSubordinateIds,
  SUBORDINATE_IDS_NEEDED,
} from "./subids.ts";

/**
 * doctor's checks for full-range user namespaces (newuidmap/newgidmap and the runner's subordinate
 * ids) and for a job's own network (pasta or slirp4netns, and /dev/net/tun open to others, as Debian's
 * udev makes it).
 */
export async function isolationChecks(
  settings: Pick<ExecutorSettings, "network" | "isolatedHostPorts">,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const tool of ["newuidmap", "newgidmap"]) checks.push(await idMapperCheck(tool));
  const user = userInfo().username;
  const ids = await readSubordinateIds();
  const describe = (range: { start: number; count: number } | undefined) =>
    range ? `${range.count} from ${range.start}` : "none";
  checks.push({
    name: "subordinate ids",
    ok: isFullRange(ids),
    detail: isFullRange(ids)
      ? `${user} has uids ${describe(ids.uids)} and gids ${describe(ids.gids)}: jobs get 65536 ids`
      : `${user} has uids ${describe(ids.uids)} and gids ${describe(ids.gids)} in /etc/subuid and /etc/subgid; jobs need ${SUBORDINATE_IDS_NEEDED} of each, and without them run with one uid (no chown to other users, no su, no buildah RUN)`,
    fix: addSubordinateIdsCommand(user),
  });
  checks.push(...networkChecks(settings, await isolatedNetworkSupport()));
  return checks;
}

/**
 * The connector (pasta, else slirp4netns) and /dev/net/tun, judged by the settings as prepare judges
 * them (pure): `isolated` fails without them, and so does `isolated_host_ports` with slirp4netns
 * alone (prepare refuses it); with no network set jobs fall back to the host's network, which the
 * detail says.
 */
export function networkChecks(
  settings: Pick<ExecutorSettings, "network" | "isolatedHostPorts">,
  support: IsolatedNetworkSupport,
): DoctorCheck[] {
  const { network, isolatedHostPorts } = settings;
  const needed = network === "isolated";
  const without =
    network === undefined
      ? " (jobs share the host's network until it is fixed: network is not set, and isolated needs it)"
      : needed
        ? ""
        : ` (needed only for network: isolated; network is ${network})`;
  const tunOpen = support.tunMode !== undefined && (support.tunMode & 0o006) === 0o006;
  const opener = support.connector ?? "pasta or slirp4netns";
  return [
    connectorCheck(support, network, isolatedHostPorts, without),
    {
      name: "/dev/net/tun",
      ok: tunOpen || !needed,
      detail:
        support.tunMode === undefined
          ? `missing${without}`
          : `mode ${support.tunMode.toString(8)}${tunOpen ? "" : `: ${opener} cannot open it from a job's namespace${without}`}`,
      fix: TUN_FIX,
    },
  ];
}

/** Which connector jobs get, and whether the settings ask what it cannot give. */
function connectorCheck(
  support: IsolatedNetworkSupport,
  network: ExecutorSettings["network"],
  hostPorts: readonly number[],
  without: string,
): DoctorCheck {
  const name = "network connector";
  if (support.connector === undefined)
    return {
      name,
      ok: network !== "isolated",
      detail: `neither pasta nor slirp4netns found${without}`,
      fix: CONNECTOR_FIX,
    };
  const detail = `${support.versions[support.connector]} connects jobs' own networks`;
  if (support.connector === "pasta") return { name, ok: true, detail, fix: CONNECTOR_FIX };
  const refused = refusesHostPorts(network, hostPorts, support.connector);
  return {
    name,
    ok: !refused,
    detail: refused
      ? `${detail}, but isolated_host_ports (${hostPorts.join(", ")}) needs pasta: jobs are refused until it is installed`
      : `${detail} (pasta not found; isolated_host_ports would need it)`,
    fix: PASTA_FIX,
  };
}

/** newuidmap/newgidmap must be setuid root (shadow's default) or carry file capabilities. */
async function idMapperCheck(tool: string): Promise<DoctorCheck> {
  const fix =
    "apt-get install uidmap (or dnf install shadow-utils); it must be setuid root or have file capabilities";
  const which = await runTool({ file: "sh", args: ["-c", `command -v ${tool}`] });
  const path = which.exitCode === 0 ? which.tail.trim() : undefined;
  if (path === undefined) return { name: tool, ok: false, detail: `${tool} not found`, fix };
  const info = await stat(path);
  if ((info.mode & 0o4000) !== 0 && info.uid === 0)
    return { name: tool, ok: true, detail: `${path} is setuid root`, fix };
  const caps = await runTool({ file: "getcap", args: [path] });
  const capable = caps.exitCode === 0 && /cap_set[ug]id/.test(caps.tail);
  return {
    name: tool,
    ok: capable,
    detail: capable
      ? `${path} has file capabilities`
      : `${path} is neither setuid root nor has file capabilities`,
    fix,
  };
}
