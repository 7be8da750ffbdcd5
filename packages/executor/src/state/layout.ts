import { join } from "node:path";

/*
 * The state directory's layout: every path the executor keeps under `state_dir` is named here, and only
 * here.
 *
 *   jobs/<job key>/             one job; cleanup removes it whole
 *     job.json                  what prepare decided (state/job-state.ts)
 *     builds/ tmp/ tools/       bound into the job as /builds, /tmp, /polyarch/bin
 *     upper/ work/ merged/      the job's overlay root, or rootfs/ for a copy
 *     hosts                     the job's /etc/hosts when it has services
 *     services.json             the services prepare started (one JSON line each)
 *     services/<n>/             a service's root (as the job's), tmp/ and service.log
 *     owner.json                the process that ran prepare (gitlab-runner), to find jobs it left
 *     namespace.json            the holder of the job's namespaces, and its connector (sandbox/job-namespace.ts)
 *     namespace.pid namespace.log pasta.pid pasta.log slirp4netns.log   what they report as they start
 *     cgroup                    the path of the job's own cgroup, when it has one (sandbox/job-cgroup.ts)
 *   project-cache/<project>/    a project's local `cache:`; outlives its jobs
 *   layers/<digest>/            an unpacked layer: tree/ and changes.json
 *   roots/<manifest digest>/    an image's layers merged: tree/ and layers.json
 *   locks/                      the cache's cross-process locks
 *   overlay-works-<kernel>      this kernel mounts overlays in user namespaces (probed once per kernel)
 *   .doctor-<random>/           doctor's overlay probe, removed after it
 */

/** Where a job's files are on the host; everything below `dir` is removed by cleanup. */
export interface JobPaths {
  dir: string;
  state: string;
  builds: string;
  tmp: string;
  tools: string;
  upper: string;
  work: string;
  merged: string;
  rootfs: string;
  /** The job's `/etc/hosts` when it has services. */
  hosts: string;
  /** The job's `/etc/resolv.conf` with `network: isolated` (sandbox/resolv-conf.ts). */
  resolvConf: string;
  /** What cleanup needs to stop the job's services, written as each starts (prepare may be killed). */
  startedServices: string;
  /** The process that ran prepare (the runner) and its start time (stages/orphans.ts). */
  owner: string;
  /** The job's namespaces' holder and connector, written as soon as they start (prepare may be killed). */
  namespace: string;
  /** The job's own cgroup's path, written before the cgroup is made (prepare may be killed). */
  cgroup: string;
  /** The project's local cache (`cache:` without a distributed cache); outlives the job. */
  projectCache: string;
}

/** The directories a root is made in: an overlay's upper, work and mount point, or a copy's. */
export type RootDirs = Pick<JobPaths, "upper" | "work" | "merged" | "rootfs">;

export function jobsDir(stateDir: string): string {
  return join(stateDir, "jobs");
}

export function jobPaths(stateDir: string, jobKey: string, projectKey: string): JobPaths {
  return {
    ...jobFiles(join(jobsDir(stateDir), jobKey)),
    projectCache: join(stateDir, "project-cache", projectKey),
  };
}

/** The files of the job whose directory is `dir` (cleanup and run know only the directory). */
export function jobFiles(dir: string): Omit<JobPaths, "projectCache"> {
  return {
    dir,
    state: join(dir, "job.json"),
    builds: join(dir, "builds"),
    tmp: join(dir, "tmp"),
    tools: join(dir, "tools"),
    upper: join(dir, "upper"),
    work: join(dir, "work"),
    merged: join(dir, "merged"),
    rootfs: join(dir, "rootfs"),
    hosts: join(dir, "hosts"),
    resolvConf: join(dir, "resolv.conf"),
    startedServices: join(dir, "services.json"),
    namespace: join(dir, "namespace.json"),
    cgroup: join(dir, "cgroup"),
    owner: join(dir, "owner.json"),
  };
}

/** The `index`th service of the job in `jobDir`: its root's directories, its `/tmp` and its log. */
export function servicePaths(jobDir: string, index: number): RootDirs & { tmp: string; log: string } {
  const dir = join(jobDir, "services", String(index));
  return {
    upper: join(dir, "upper"),
    work: join(dir, "work"),
    merged: join(dir, "merged"),
    rootfs: join(dir, "rootfs"),
    tmp: join(dir, "tmp"),
    log: join(dir, "service.log"),
  };
}

/** The cache's two kinds of entry: unpacked layers and merged image roots. */
export type CacheKind = "layers" | "roots";

/** Where the cache's entries of `kind` are (and their scratch and evicted directories, dot-named). */
export function cacheDir(stateDir: string, kind: CacheKind): string {
  return join(stateDir, kind);
}

/** The files of one cache entry: its tree, and what it records (a layer's changes, a root's layers). */
export function cacheEntryFiles(entryDir: string): { tree: string; changes: string; layers: string } {
  return {
    tree: join(entryDir, "tree"),
    changes: join(entryDir, "changes.json"),
    layers: join(entryDir, "layers.json"),
  };
}

/** A lock of the cache, held across processes. */
export function cacheLock(stateDir: string, name: string): string {
  return join(stateDir, "locks", name);
}

/** Present once this kernel was seen to mount overlays in a user namespace. */
export function overlayWorksMarker(stateDir: string, kernelRelease: string): string {
  return join(stateDir, `overlay-works-${kernelRelease}`);
}

/** Doctor's overlay probe: `lower`, `upper`, `work` and `merged` under one directory it removes after. */
export function doctorProbeDir(stateDir: string, nonce: string): string {
  return join(stateDir, `.doctor-${nonce}`);
}
