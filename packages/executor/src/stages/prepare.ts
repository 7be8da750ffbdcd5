import { mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { userInfo } from "node:os";
import { basename, join } from "node:path";
import { PolyarchError, Redactor } from "@polyarch/errors";
import {
  detectRunnablePlatform,
  emulatedArchitectures,
  formatPlatform,
  RegistryClient,
  readBinfmtHandlers,
} from "@polyarch/oci";
import { jobCgroupPlan } from "../host/cgroup.ts";
import type { StageIo } from "../host/io.ts";
import { jobNetwork } from "../host/network-support.ts";
import { readFullRange } from "../host/subids.ts";
import { jobCredentials } from "../image/credentials.ts";
import type { PlatformPolicy } from "../image/platform.ts";
import { type PulledImage, pullImage } from "../image/pull.ts";
import { effectiveEntrypoint } from "../image/runtime-config.ts";
import { chooseShell, SHELL_CANDIDATES } from "../image/shell.ts";
import { imageUser } from "../image/user.ts";
import { ImageCache } from "../layers/cache.ts";
import { isExecutableInRoot } from "../layers/tree-fs.ts";
import { type JobContext, jobContext } from "../protocol/job.ts";
import { type JobImage, jobImage, jobServices } from "../protocol/job-response.ts";
import type { NamespaceRef } from "../sandbox/argv.ts";
import { makeJobCgroup } from "../sandbox/job-cgroup.ts";
import { prepareJobNamespace, stopRecordedNamespace } from "../sandbox/job-namespace.ts";
import { HELPER_MOUNT, TOOLS_MOUNT } from "../sandbox/mounts.ts";
import { makeRoot } from "../sandbox/root.ts";
import { type StartedServices, startServices, stopServices } from "../services/start.ts";
import type { ExecutorSettings, JobSettings } from "../settings/settings.ts";
import { recordOwner } from "../state/job-owner.ts";
import { type JobState, readJobState, writeJobState } from "../state/job-state.ts";
import { type JobPaths, jobPaths, jobsDir } from "../state/layout.ts";
import { ensureStateDir } from "../state/state-dir.ts";
import { reapOrphans, removeJob } from "./orphans.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Where the helper images keep the tools a job's scripts call, first match wins. */
const HELPER_TOOLS: Record<string, string[]> = {
  "gitlab-runner": ["/usr/bin/gitlab-runner-helper", "/usr/bin/gitlab-runner", "/bin/gitlab-runner-helper"],
  git: ["/usr/bin/git", "/usr/local/bin/git"],
};

/**
 * The `prepare` stage: pulls the job's image (and the helper image) for this host into the cache,
 * makes the job's root (overlay or copy), and records what the run stages need in `job.json`. The
 * runner may retry it: a job already prepared is left as it is, a half-prepared one is started over.
 */
export async function prepare(configured: ExecutorSettings, io: StageIo): Promise<JobState> {
  const job = jobContext(io.env);
  await ensureStateDir(configured.stateDir);
  const response = await readJobResponse(io.env);
  const image = jobImage(response, job.variables);
  const services = jobServices(response, job.variables);
  const paths = jobPaths(configured.stateDir, job.jobKey, job.projectKey);
  const existing = await readJobState(paths.dir).catch(() => undefined);
  if (existing) {
    io.stdout.write(`polyarch-executor: job already prepared with ${existing.image.reference}\n`);
    return existing;
  }
  const cgroupPlan = await jobCgroupPlan(configured.limits, userInfo().username);
  // Refused (isolated_host_ports with slirp4netns, say) before anything is made, as a limit is.
  const network = await jobNetwork(configured, io);
  // A half-prepared job is started over: first the services and namespaces an earlier attempt started.
  await removeJob(paths.dir, 0);
  await reapOrphans(configured.stateDir, io);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await recordOwner(paths);
  // Before anything of the job starts: its holder, connector, services and stages join it as they start.
  const cgroup =
    cgroupPlan.kind === "own"
      ? await makeJobCgroup(cgroupPlan, basename(paths.dir), paths.cgroup, io)
      : undefined;
  const settings: JobSettings = { ...configured, network: network.network };
  // With the runner's full range, the image's files keep their owners inside the job (layers/cache.ts).
  const cache = new ImageCache(settings.stateDir, await readFullRange());
  const redactor = new Redactor();
  const client = new RegistryClient({
    credentials: jobCredentials(job.variables, io.env, redactor),
    scrubber: redactor,
  });
  try {
    const policy: PlatformPolicy = {
      host: await detectRunnablePlatform(),
      emulation: settings.emulation,
      emulated: emulatedArchitectures((await readBinfmtHandlers()) ?? []),
    };
    const reference = image.name ?? settings.defaultImage;
    io.stdout.write(`polyarch-executor: pulling ${reference} for ${formatPlatform(policy.host)}\n`);
    const pulled = await pullImage(reference, {
      client,
      cache,
      policy,
      allowedRegistries: settings.allowedRegistries,
    });
    if (pulled.emulated) {
      io.stdout.write(
        `WARNING: ${reference} is ${formatPlatform(pulled.platform)}, not ${formatPlatform(policy.host)}: it runs under emulation (QEMU through binfmt_misc), much slower than natively\n`,
      );
    }
    for (const note of pulled.notes) io.stdout.write(`WARNING: ${note}\n`);
    const helper = settings.helperImage
      ? await pullImage(settings.helperImage, {
          client,
          cache,
          policy: { ...policy, emulation: false },
          allowedRegistries: [],
        })
      : undefined;
    const namespace = await prepareJobNamespace(
      {
        dir: paths.dir,
        recordFile: paths.namespace,
        network,
        hostPorts: settings.isolatedHostPorts,
        cgroup,
      },
      io,
    );
    const created = await createJob(paths, { job, image }, settings, { image: pulled, helper, namespace });
    let started: StartedServices | undefined;
    try {
      started = await startServices(services, {
        paths,
        settings,
        variables: job.variables,
        pull: (reference) =>
          pullImage(reference, { client, cache, policy, allowedRegistries: settings.allowedRegistries }),
        imageEnv: (env, uid) => jobEnv(env, uid, false),
        io,
        namespace,
        cgroup,
      });
    } catch (error: unknown) {
      await stopServices(paths.dir, 0);
      await stopRecordedNamespace(paths.namespace);
      throw error;
    }
    const state: JobState = {
      ...created,
      ...(namespace && { namespace }),
      ...(cgroup !== undefined && { cgroup }),
      ...(started && { hostsFile: started.hostsFile, serviceRootKeys: started.rootKeys }),
    };
    await writeJobState(paths, state);
    io.stdout.write(
      `polyarch-executor: ${reference} (${pulled.digest}, ${formatPlatform(pulled.platform)}); ${pulled.layers.length - pulled.unpacked} of ${pulled.layers.length} layers were cached; root: ${state.root.mode}\n`,
    );
    await evictQuietly(cache, settings, io);
    return state;
  } finally {
    await client.close();
  }
}

async function createJob(
  paths: JobPaths,
  { job, image: requested }: { job: JobContext; image: JobImage },
  settings: JobSettings,
  {
    image,
    helper,
    namespace,
  }: { image: PulledImage; helper: PulledImage | undefined; namespace: NamespaceRef | undefined },
): Promise<JobState> {
  for (const dir of [paths.builds, paths.tmp, paths.tools]) await mkdir(dir, { mode: 0o700 });
  await mkdir(paths.projectCache, { recursive: true, mode: 0o700 });
  const root = await makeRoot(paths, image.root, settings, namespace);
  const user = await imageUser(image.root, image.config.user);
  const executable = new Set<string>();
  for (const candidate of SHELL_CANDIDATES) {
    if (await isExecutableInRoot(image.root, candidate)) executable.add(candidate);
  }
  const shell = chooseShell(executable);
  if (shell === undefined) {
    throw new PolyarchError("POLYARCH_E_SANDBOX", `image ${image.reference} has neither bash nor /bin/sh`, {
      hint: "job images need a shell to run scripts; use an image with /bin/sh",
    });
  }
  if (helper) await linkTools(paths.tools, helper.root);
  return {
    version: 1,
    paths,
    stopGraceSeconds: settings.stopGraceSeconds,
    image: {
      reference: image.reference,
      digest: image.digest,
      platform: formatPlatform(image.platform),
      emulated: image.emulated,
      rootKey: image.rootKey,
    },
    helper: helper && {
      reference: helper.reference,
      digest: helper.digest,
      root: helper.root,
      rootKey: helper.rootKey,
    },
    root,
    user,
    env: jobEnv(image.config.env, user.uid, helper !== undefined),
    workingDir: image.config.workingDir,
    entrypoint: effectiveEntrypoint(image.config.entrypoint, requested.entrypoint),
    shell,
    network: settings.network,
    hostname: `polyarch-job-${job.variables.CI_JOB_ID}`,
  };
}

/** The image's Env, with PATH and HOME defaulted as Docker does, and the runner tools last on PATH. */
export function jobEnv(imageEnv: readonly string[], uid: number, tools: boolean): string[] {
  const env = [...imageEnv];
  const pathIndex = env.findIndex((entry) => entry.startsWith("PATH="));
  const path = pathIndex === -1 ? DEFAULT_PATH : (env[pathIndex] as string).slice(5);
  const withTools = tools ? `${path}:${TOOLS_MOUNT}` : path;
  if (pathIndex === -1) env.push(`PATH=${withTools}`);
  else env[pathIndex] = `PATH=${withTools}`;
  if (!env.some((entry) => entry.startsWith("HOME="))) env.push(`HOME=${uid === 0 ? "/root" : "/"}`);
  return env;
}

/** `gitlab-runner` and `git` of the helper image, as symlinks into where its tree is mounted. */
async function linkTools(tools: string, helperRoot: string): Promise<void> {
  for (const [name, candidates] of Object.entries(HELPER_TOOLS)) {
    for (const candidate of candidates) {
      if (!(await isExecutableInRoot(helperRoot, candidate))) continue;
      await symlink(`${HELPER_MOUNT}${candidate}`, join(tools, name));
      break;
    }
  }
}

/** Roots that prepared jobs run on are kept; eviction problems never fail a job. */
async function evictQuietly(cache: ImageCache, settings: ExecutorSettings, io: StageIo): Promise<void> {
  try {
    const inUse = new Set<string>();
    const jobs = jobsDir(settings.stateDir);
    for (const name of await readdir(jobs)) {
      const state = await readJobState(join(jobs, name)).catch(() => undefined);
      if (state?.image.rootKey) inUse.add(state.image.rootKey);
      if (state?.helper?.rootKey) inUse.add(state.helper.rootKey);
      for (const key of state?.serviceRootKeys ?? []) inUse.add(key);
    }
    const evicted = await cache.evict(settings.cacheMaxBytes, inUse);
    if (evicted.length > 0) io.stdout.write(`polyarch-executor: evicted ${evicted.length} cache entries\n`);
  } catch (error: unknown) {
    io.stderr.write(
      `polyarch-executor: cache eviction skipped: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}

/** The job response gitlab-runner wrote (JOB_RESPONSE_FILE), when it says where. */
async function readJobResponse(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | undefined> {
  const file = env.JOB_RESPONSE_FILE;
  return file ? readFile(file, "utf8") : undefined;
}
