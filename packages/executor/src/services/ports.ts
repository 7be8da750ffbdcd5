import { connect } from "node:net";
import type { NamespaceRef } from "../sandbox/argv.ts";
import { runTool } from "../sandbox/process.ts";

/**
 * Whether a service's exposed TCP ports answer before a deadline: on the host's loopback (`network:
 * host`), or on an isolated job's own loopback, which only a process inside the job's network
 * namespace can reach.
 */

export interface PortWait {
  ports: readonly number[];
  /** Epoch milliseconds. */
  deadline: number;
  /** The service's keeper (sandbox/process.ts): the wait ends early once it has exited. */
  keeperPid: number;
  alive(): Promise<boolean>;
  /** An isolated job's namespaces: the ports are probed from inside its network. */
  namespace?: NamespaceRef;
}

/** The ports of `wait` that did not answer by its deadline (or before the service exited). */
export async function silentPorts(wait: PortWait): Promise<number[]> {
  if (wait.ports.length === 0) return [];
  if (wait.namespace?.isolated) return silentInNamespace(wait, wait.namespace);
  const silent: number[] = [];
  for (const port of wait.ports) if (!(await answersBy(port, wait.deadline, wait.alive))) silent.push(port);
  return silent;
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

/** Whether `port` answers before `deadline`; gives up early once the service is gone. */
async function answersBy(port: number, deadline: number, alive: () => Promise<boolean>): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await answers(port, 500)) return true;
    if (!(await alive())) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return answers(port, 500);
}

/**
 * The probe run inside the job's network (node -e; argv: deadline, keeper pid, ports): it tries each
 * silent port every 100 ms, stops at the deadline or when the keeper has exited (an exited keeper
 * has no command line), and prints the ports still silent as its last line.
 */
const PROBE = `const net = require("node:net"), fs = require("node:fs");
const [deadline, keeper, ...ports] = process.argv.slice(1).map(Number);
const silent = new Set(ports);
const alive = () => { try { return fs.readFileSync("/proc/" + keeper + "/cmdline").length > 0; } catch { return false; } };
const attempt = (port) => new Promise((resolve) => {
  const socket = net.connect({ host: "127.0.0.1", port });
  const done = (ok) => { socket.destroy(); resolve(ok); };
  socket.setTimeout(500, () => done(false));
  socket.once("connect", () => done(true));
  socket.once("error", () => done(false));
});
(async () => {
  for (;;) {
    for (const port of [...silent]) if (await attempt(port)) silent.delete(port);
    if (silent.size === 0 || Date.now() >= deadline || !alive()) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stdout.write("silent:" + [...silent].join(",") + "\\n");
})();`;

async function silentInNamespace(wait: PortWait, namespace: NamespaceRef): Promise<number[]> {
  const result = await runTool(
    {
      file: "nsenter",
      args: [
        `--user=/proc/${namespace.holderPid}/ns/user`,
        `--net=/proc/${namespace.holderPid}/ns/net`,
        "--preserve-credentials",
        "--",
        process.execPath,
        "-e",
        PROBE,
        String(wait.deadline),
        String(wait.keeperPid),
        ...wait.ports.map(String),
      ],
    },
    { timeoutMs: Math.max(0, wait.deadline - Date.now()) + 5_000 },
  );
  const last = /silent:([\d,]*)\s*$/.exec(result.tail);
  // A probe that could not run tells nothing: every port counts as silent, which is only a warning.
  if (result.exitCode !== 0 || last === null) return [...wait.ports];
  return (last[1] as string).split(",").filter(Boolean).map(Number);
}
