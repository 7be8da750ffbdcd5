import type { RuntimeConfig } from "../image/runtime-config.ts";
import type { SandboxUser } from "../image/user.ts";
import type { JobService } from "../protocol/job-response.ts";
import type { NamespaceRef, RootPlan, SandboxPlan } from "../sandbox/argv.ts";
import { BUILDS_DIR } from "../sandbox/mounts.ts";

/**
 * The host names a job reaches a service by, as the Docker executor gives them
 * (https://docs.gitlab.com/ci/services/#accessing-the-services): the `alias` (several may be given,
 * separated by commas or spaces), then the image's name without its tag, digest or registry port, with
 * `/` as `__`, and with `/` as `-` (pure).
 */
export function serviceAliases(service: Pick<JobService, "name" | "alias">): string[] {
  const given = (service.alias ?? "").split(/[\s,]+/).filter(Boolean);
  const withoutDigest = service.name.split("@", 1)[0] ?? service.name;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const untagged = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
  const bare = untagged.replace(/^([^/]+):\d+\//, "$1/");
  const named = [bare.replaceAll("/", "__"), bare.replaceAll("/", "-")];
  return [...new Set([...given, ...named].filter((name) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)))];
}

/** The job's `/etc/hosts`: the host's, then every service's names on loopback (pure). */
export function hostsWithServices(hostHosts: string, aliases: readonly string[]): string {
  const base = hostHosts.length === 0 || hostHosts.endsWith("\n") ? hostHosts : `${hostHosts}\n`;
  return aliases.length === 0
    ? base
    : `${base}# services (polyarch-executor)\n127.0.0.1\t${aliases.join(" ")}\n`;
}

/**
 * What a service runs, as Docker decides it: the service's `entrypoint` replaces the image's (and then
 * the image's `Cmd` no longer applies), its `command` replaces `Cmd` (pure).
 */
export function serviceCommand(
  service: Pick<JobService, "entrypoint" | "command">,
  config: Pick<RuntimeConfig, "entrypoint" | "cmd">,
): string[] {
  const entrypoint = service.entrypoint ?? config.entrypoint;
  const command = service.command ?? (service.entrypoint === undefined ? config.cmd : []);
  return [...entrypoint, ...command];
}

export interface ServiceSandboxInput {
  root: RootPlan;
  /** The job's `/builds`, which services see too (as with the Docker executor). */
  builds: string;
  tmp: string;
  user: SandboxUser;
  /** The image's Env, then the job's variables, then the service's own. */
  env: string[];
  workingDir: string;
  hostname: string;
  hostsFile: string;
  command: string[];
  /** The job's network (`isolated`: the job's own namespace, shared with its services) and namespaces. */
  network: "host" | "isolated";
  namespace?: NamespaceRef;
}

/**
 * A service's sandbox (pure): its own root and `/tmp`, the job's `/builds`, the host's network, no
 * status descriptor.
 */
export function serviceSandboxPlan(input: ServiceSandboxInput): SandboxPlan {
  return {
    root: input.root,
    binds: [
      { source: input.builds, target: BUILDS_DIR, readOnly: false },
      { source: input.tmp, target: "/tmp", readOnly: false },
    ],
    user: input.user,
    env: input.env,
    workingDir: input.workingDir,
    hostname: input.hostname,
    network: input.network,
    ...(input.namespace !== undefined && { namespace: input.namespace }),
    hostsFile: input.hostsFile,
    command: input.command,
  };
}
