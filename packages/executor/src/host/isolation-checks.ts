import { stat } from "node:fs/promises";
import { userInfo } from "node:os";
import { runTool } from "../sandbox/process.ts";
import type { ExecutorSettings } from "../settings/settings.ts";
import type { DoctorCheck } from "./doctor.ts";
import {
  addSubordinateIdsCommand,
  isFullRange,
  readSubordinateIds,
  SUBORDINATE_IDS_NEEDED,
} from "./subids.ts";

/**
 * doctor's checks for full-range user namespaces (newuidmap/newgidmap and the runner's subordinate
 * ids) and for `network: isolated` (pasta, and /dev/net/tun open to others, as Debian's udev makes it).
 */
export async function isolationChecks(settings: Pick<ExecutorSettings, "network">): Promise<DoctorCheck[]> {
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
  const isolated = settings.network === "isolated";
  const pasta = await runTool({ file: "pasta", args: ["--version"] });
  checks.push({
    name: "pasta",
    ok: pasta.exitCode === 0 || !isolated,
    detail:
      pasta.exitCode === 0
        ? "pasta connects network: isolated jobs"
        : `pasta not found${isolated ? "" : " (needed only for network: isolated)"}`,
    fix: "apt-get install passt (or dnf install passt)",
  });
  const tun = await stat("/dev/net/tun").catch(() => undefined);
  const tunOpen = tun !== undefined && (tun.mode & 0o006) === 0o006;
  checks.push({
    name: "/dev/net/tun",
    ok: tunOpen || !isolated,
    detail: tun
      ? `mode ${(tun.mode & 0o777).toString(8)}${tunOpen ? "" : ": pasta cannot open it from a job's namespace"}`
      : "missing",
    fix: 'chmod 0666 /dev/net/tun (Debian\'s default; keep it with a udev rule: KERNEL=="tun", MODE="0666")',
  });
  return checks;
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
