import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { PolyarchError, redactText } from "@polyarch/errors";
import type { StageIo } from "../host/io.ts";
import type { PulledImage } from "../image/pull.ts";
import { imageUser } from "../image/user.ts";
import type { JobService } from "../protocol/job-response.ts";
import { type NamespaceRef, sandboxArgv } from "../sandbox/argv.ts";
import { isDetachedRunning, startDetached, stopDetached } from "../sandbox/process.ts";
import { makeRoot } from "../sandbox/root.ts";
import type { JobSettings } from "../settings/settings.ts";
import { type JobPaths, jobFiles, servicePaths } from "../state/layout.ts";
import { hostsWithServices, serviceAliases, serviceCommand, serviceSandboxPlan } from "./plan.ts";
import { answers, silentPorts } from "./ports.ts";

const LOG_TAIL_LINES = 20;

export interface ServicesContext {
  paths: JobPaths;
  settings: JobSettings;
  /** The job's variables: a service gets them, as with the Docker executor. */
  variables: Readonly<Record<string, string>>;
  pull(reference: string): Promise<PulledImage>;
  /** The image's Env with PATH and HOME defaulted for `uid` (what a job's stages get). */
  imageEnv(env: readonly string[], uid: number): string[];
  io: StageIo;
  /** The job's namespaces: its services run in them too (with `isolated`, on the job's own network). */
  namespace: NamespaceRef | undefined;
  /** The job's own cgroup, which each service's sandbox joins as it starts (sandbox/job-cgroup.ts). */
  cgroup: string | undefined;
}

/** What prepare records of the services it started. */
export interface StartedServices {
  /** The job's `/etc/hosts`, with the services' names. */
  hostsFile: string;
  /** The cache roots the services run on, kept from eviction while the job lives. */
  rootKeys: string[];
}

/**
 * Starts the job's `services:`, each in a sandbox of its own on the job's network (the host's, or with
 * `isolated` the job's own), and writes the job's `/etc/hosts` with their names on loopback. Returns
 * undefined without services. On the host's network each service's exposed TCP ports must be free
 * before it starts (another job's service would answer instead). prepare then waits up to
 * `services_timeout` for them (services/ports.ts), and a service that does not answer in time is a
 * warning with its last log lines, as with the Docker executor.
 */
export async function startServices(
  services: readonly JobService[],
  context: ServicesContext,
): Promise<StartedServices | undefined> {
  if (services.length === 0) return undefined;
  const { paths, settings, io } = context;
  const network = settings.network;
  if (network === "none") {
    throw new PolyarchError(
      "POLYARCH_E_SANDBOX",
      `the job has services (${services.map((s) => s.name).join(", ")}) but the executor's network is none`,
      {
        hint: "set network: isolated (a network per job, with its services) or host in the executor settings",
      },
    );
  }
  const pulled: PulledImage[] = [];
  for (const service of services) {
    io.stdout.write(`polyarch-executor: pulling service ${service.name}\n`);
    pulled.push(await context.pull(service.name));
  }
  const aliases = services.map(serviceAliases);
  const hostsFile = paths.hosts;
  const hostHosts = await readFile("/etc/hosts", "utf8").catch(() => "127.0.0.1\tlocalhost\n");
  await writeFile(hostsFile, hostsWithServices(hostHosts, aliases.flat()), { mode: 0o644 });

  const waits: Array<{ name: string; ports: number[]; log: string; pid: number }> = [];
  for (const [index, service] of services.entries()) {
    const image = pulled[index] as PulledImage;
    const names = aliases[index] as string[];
    // On the host's network another job's service would answer instead; an isolated job has its own.
    for (const port of network === "host" ? image.config.tcpPorts : []) {
      if (await answers(port, 200)) {
        throw new PolyarchError(
          "POLYARCH_E_SANDBOX",
          `service ${service.name} exposes port ${port}, which something on this host already listens on`,
          {
            hint: "services share the host's network, so two jobs cannot run services on the same port at once; lower the runner's concurrency for such jobs, or stop what holds the port",
          },
        );
      }
    }
    const dirs = servicePaths(paths.dir, index);
    const tmp = dirs.tmp;
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const root = await makeRoot(dirs, image.root, settings, context.namespace);
    const user = await imageUser(image.root, image.config.user);
    const command = serviceCommand(service, image.config);
    if (command.length === 0) {
      throw new PolyarchError(
        "POLYARCH_E_SANDBOX",
        `service ${service.name} has nothing to run: its image has no Entrypoint or Cmd, and the job gives none`,
        { hint: "give the service an entrypoint: or command: in .gitlab-ci.yml" },
      );
    }
    const env = [
      ...context.imageEnv(image.config.env, user.uid),
      ...Object.entries({ ...context.variables, ...service.variables }).map(([k, v]) => `${k}=${v}`),
    ];
    const plan = serviceSandboxPlan({
      root,
      builds: paths.builds,
      tmp,
      user,
      env,
      workingDir: image.config.workingDir,
      // sethostname takes at most 64 bytes; a long image name would stop the sandbox from starting.
      hostname: (names[0] ?? `service-${index}`).slice(0, 63),
      hostsFile,
      command,
      network,
      ...(context.namespace !== undefined && { namespace: context.namespace }),
    });
    const log = dirs.log;
    io.stdout.write(`polyarch-executor: starting service ${service.name} as ${names.join(", ")}\n`);
    const pid = await startDetached(
      sandboxArgv({ ...plan, ...(context.cgroup !== undefined && { cgroup: context.cgroup }) }),
      log,
    );
    await appendFile(paths.startedServices, `${JSON.stringify({ pid, marker: paths.dir })}\n`);
    waits.push({ name: service.name, ports: image.config.tcpPorts, log, pid });
  }
  const deadline = Date.now() + settings.servicesTimeoutSeconds * 1000;
  for (const wait of waits) {
    const missing = await silentPorts({
      ports: wait.ports,
      deadline,
      keeperPid: wait.pid,
      ...(network === "isolated" && context.namespace !== undefined && { namespace: context.namespace }),
    });
    const running = await isDetachedRunning(wait.pid);
    if (missing.length === 0 && running) continue;
    const what = running
      ? `does not answer on port ${missing.join(", ")} after ${settings.servicesTimeoutSeconds} s; it probably did not start`
      : "has exited";
    const tail = redactText(await readFile(wait.log, "utf8").catch(() => ""))
      .trimEnd()
      .split("\n")
      .slice(-LOG_TAIL_LINES);
    io.stdout.write(
      `WARNING: service ${wait.name} ${what}. Its last lines:\n${tail.map((line) => `  ${line}`).join("\n")}\n`,
    );
  }
  return { hostsFile, rootKeys: pulled.map((image) => image.rootKey) };
}

/** Stops the services prepare started for the job in `jobDir` (cleanup; never throws). */
export async function stopServices(jobDir: string, graceSeconds: number): Promise<void> {
  const text = await readFile(jobFiles(jobDir).startedServices, "utf8").catch(() => "");
  for (const line of text.split("\n").filter(Boolean)) {
    let started: { pid?: unknown; marker?: unknown };
    try {
      started = JSON.parse(line) as typeof started;
    } catch {
      continue; // a line cut short when prepare was killed mid-write: that service never started
    }
    if (typeof started.pid === "number" && typeof started.marker === "string") {
      await stopDetached(started.pid, started.marker, graceSeconds);
    }
  }
}
