import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Every process on the host whose command line (arguments joined by spaces) matches `pattern`, with
 * its cgroup v2 path ("" on a host without cgroup v2): wherever a job's process ended up, whoever started it.
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
    found.push({ pid: Number(name), cgroup: cgroup === undefined ? "" : cgroup.slice(3) });
  }
  return found;
}

/**
 * The connector (pasta or slirp4netns) the one job under `stateDir` recorded in its namespace.json,
 * and the processes on the host that are that connector serving that job's holder, found by their
 * command lines.
 */
export async function jobConnector(stateDir: string) {
  const jobs = join(stateDir, "jobs");
  const [name, ...others] = await readdir(jobs);
  if (name === undefined || others.length > 0) throw new Error(`expected one job in ${jobs}`);
  const namespace = JSON.parse(await readFile(join(jobs, name, "namespace.json"), "utf8")) as {
    holderPid: number;
    connector: { kind: string; pid: number };
  };
  const pattern = new RegExp(`^${namespace.connector.kind} .*/proc/${namespace.holderPid}/ns/user`);
  return { ...namespace.connector, pattern, processes: await hostProcesses(pattern) };
}
