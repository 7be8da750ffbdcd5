import { connect } from "node:net";
import { enterJobNamespace, type NamespaceRef } from "../sandbox/argv.ts";
import { KEEPER_MARKER, runTool } from "../sandbox/process.ts";

/**
 * Whether a service's exposed TCP ports answer before a deadline: on the host's loopback (`network:
 * host`), or on an isolated job's own loopback, which only a process inside the job's network
 * namespace can reach. One probe (`probePorts`) does both: in this process, or as `node -e` source
 * under `nsenter` into the job's namespaces.
 */

export interface PortWait {
  ports: readonly number[];
  /** Epoch milliseconds. */
  deadline: number;
  /** The service's keeper (sandbox/process.ts): the wait ends early once it has exited. */
  keeperPid: number;
  /** An isolated job's namespaces: the ports are probed from inside its network. */
  namespace?: NamespaceRef;
}

/** The ports of `wait` that did not answer by its deadline (or before the service exited). */
export async function silentPorts(wait: PortWait): Promise<number[]> {
  if (wait.ports.length === 0) return [];
  if (wait.namespace?.isolated) return silentInNamespace(wait, wait.namespace);
  return probePorts(wait.deadline, wait.keeperPid, KEEPER_MARKER, [...wait.ports]);
}

/** Whether something accepts a TCP connection on loopback `port` within `timeoutMs`. */
export function answers(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Tries each silent loopback port every 100 ms until all answer, the deadline passes or the keeper has
 * exited (its command line no longer holds `marker`: sandbox/process.ts's rule, restated here because
 * this function must stand alone), and returns the ports still silent. It uses no import and no outer
 * name, since its source also runs by itself inside a job's network (silentInNamespace).
 */
export async function probePorts(
  deadline: number,
  keeperPid: number,
  marker: string,
  ports: number[],
): Promise<number[]> {
  const net = process.getBuiltinModule("node:net");
  const fs = process.getBuiltinModule("node:fs");
  const running = () => {
    try {
      return fs.readFileSync(`/proc/${keeperPid}/cmdline`, "utf8").includes(marker);
    } catch {
      return false;
    }
  };
  const attempt = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    });
  const silent = new Set(ports);
  for (;;) {
    for (const port of [...silent]) if (await attempt(port)) silent.delete(port);
    if (silent.size === 0 || Date.now() >= deadline || !running()) return [...silent];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** probePorts run inside the job's network namespace; it prints the silent ports as its last line. */
async function silentInNamespace(wait: PortWait, namespace: NamespaceRef): Promise<number[]> {
  const script = `const [deadline, keeper, marker, ...ports] = process.argv.slice(1);
(${String(probePorts)})(Number(deadline), Number(keeper), marker, ports.map(Number))
  .then((silent) => process.stdout.write("silent:" + silent.join(",") + "\\n"));`;
  const result = await runTool(
    {
      file: "nsenter",
      args: [
        ...enterJobNamespace(namespace, true),
        process.execPath,
        "-e",
        script,
        String(wait.deadline),
        String(wait.keeperPid),
        KEEPER_MARKER,
        ...wait.ports.map(String),
      ],
    },
    { timeoutMs: Math.max(0, wait.deadline - Date.now()) + 5_000, env: {} },
  );
  const last = /silent:([\d,]*)\s*$/.exec(result.tail);
  // A probe that could not run tells nothing: every port counts as silent, which is only a warning.
  if (result.exitCode !== 0 || last === null) return [...wait.ports];
  return (last[1] as string).split(",").filter(Boolean).map(Number);
}
