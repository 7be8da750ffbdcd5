import { readdir, readFile } from "node:fs/promises";

/**
 * Every process on the host whose command line (arguments joined by spaces) matches `pattern`, with
 * its cgroup v2 path: wherever a job's process ended up, whoever started it.
 */
export async function hostProcesses(pattern: RegExp): Promise<Array<{ pid: number; cgroup: string }>> {
  const found: Array<{ pid: number; cgroup: string }> = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    if (!pattern.test(cmdline.replaceAll("\0", " "))) continue;
    const cgroup = (await readFile(`/proc/${name}/cgroup`, "utf8").catch(() => ""))
      .split("\n")
      .find((line) => line.startsWith("0::"));
    if (cgroup !== undefined) found.push({ pid: Number(name), cgroup: cgroup.slice(3) });
  }
  return found;
}
