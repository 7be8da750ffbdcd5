import { readFile } from "node:fs/promises";

/**
 * The runner user's subordinate ids (`/etc/subuid`, `/etc/subgid`: `name-or-uid:start:count` per line,
 * shadow-utils' subuid(5)), which newuidmap/newgidmap let it map into a user namespace of its own.
 */

export interface IdRange {
  start: number;
  count: number;
}

/** The ids a job's namespace maps beyond 0 (the runner itself): 1–65535, as rootless Podman does. */
export const SUBORDINATE_IDS_NEEDED = 65535;

export const SUBUID_FILE = "/etc/subuid";
export const SUBGID_FILE = "/etc/subgid";

/**
 * The first range in `text` of `user` (matched by name or by numeric id) with at least `needed` ids,
 * else the largest of its ranges, else undefined (pure).
 */
export function subordinateRange(
  text: string,
  user: { name: string | undefined; id: number },
  needed = SUBORDINATE_IDS_NEEDED,
): IdRange | undefined {
  const ranges: IdRange[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(":");
    if (fields.length !== 3 || line.trim().startsWith("#")) continue;
    const [owner, start, count] = fields as [string, string, string];
    if (owner !== user.name && owner !== String(user.id)) continue;
    if (!/^\d+$/.test(start) || !/^\d+$/.test(count)) continue;
    ranges.push({ start: Number(start), count: Number(count) });
  }
  return ranges.find((range) => range.count >= needed) ?? ranges.sort((a, b) => b.count - a.count)[0];
}

/** The runner's subordinate uids and gids as the files on this host say. */
export interface SubordinateIds {
  uids: IdRange | undefined;
  gids: IdRange | undefined;
}

/** Whether both ranges are large enough for a full-range namespace (pure). */
export function isFullRange(ids: SubordinateIds): ids is { uids: IdRange; gids: IdRange } {
  return (ids.uids?.count ?? 0) >= SUBORDINATE_IDS_NEEDED && (ids.gids?.count ?? 0) >= SUBORDINATE_IDS_NEEDED;
}

/** Reads this process's user's ranges (a missing file means none). */
export async function readSubordinateIds(
  files = { subuid: SUBUID_FILE, subgid: SUBGID_FILE },
): Promise<SubordinateIds> {
  const name = (await import("node:os")).userInfo().username;
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  const read = (file: string) => readFile(file, "utf8").catch(() => "");
  return {
    uids: subordinateRange(await read(files.subuid), { name, id: uid }),
    gids: subordinateRange(await read(files.subgid), { name, id: gid }),
  };
}

/** This process's user's ranges when they are a full range, else undefined (single-uid jobs). */
export async function readFullRange(): Promise<{ uids: IdRange; gids: IdRange } | undefined> {
  const ids = await readSubordinateIds();
  return isFullRange(ids) ? ids : undefined;
}

/** The command an administrator runs to give `user` a range (the one Debian's useradd would give). */
export function addSubordinateIdsCommand(user: string): string {
  return `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}`;
}
