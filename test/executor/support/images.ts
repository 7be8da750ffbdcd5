import { readFile } from "node:fs/promises";
import {
  type BusyboxArch,
  busyboxPath,
  hostBusyboxArch,
  type Image,
  imageFrom,
  indexOf,
  type Layer,
  pushImage,
  pushIndex,
  type Registry,
  sharedLibraries,
  type TarEntry,
  tarGzLayer,
} from "@polyarch/test-harness";

/** The busybox applets job scripts here use, as symlinks beside /bin/busybox. */
const APPLETS = [
  "sh",
  "cat",
  "echo",
  "id",
  "ls",
  "sleep",
  "touch",
  "stat",
  "mkdir",
  "rm",
  "env",
  "hostname",
  "ps",
  "true",
  "false",
  "uname",
  "wc",
  "head",
  "grep",
  "test",
  "printf",
  "find",
  "readlink",
  "trap",
  "kill",
];

/** This host's architecture: job images run natively only in it. */
export const HOST_ARCH: BusyboxArch = hostBusyboxArch();
/** The other tested architecture: its images need emulation here. */
export const FOREIGN_ARCH: BusyboxArch = HOST_ARCH === "amd64" ? "arm64" : "amd64";
/** What `uname -m` prints for each. */
export const UNAME: Record<BusyboxArch, string> = { amd64: "x86_64", arm64: "aarch64" };

const baseLayers = new Map<string, Promise<Layer>>();

/** One layer with real busybox for `arch` and its applets: the layer every test image starts from. */
export function busyboxLayer(arch: "amd64" | "arm64"): Promise<Layer> {
  let layer = baseLayers.get(arch);
  if (layer === undefined) {
    layer = (async () =>
      tarGzLayer([
        { path: "bin/", type: "directory" },
        { path: "bin/busybox", content: await readFile(busyboxPath(arch)), mode: 0o755 },
        ...APPLETS.map(
          (applet): TarEntry => ({ path: `bin/${applet}`, type: "symlink", linkname: "busybox" }),
        ),
        { path: "etc/", type: "directory" },
        {
          path: "etc/passwd",
          content: "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/builder:/bin/sh\n",
        },
        { path: "etc/group", content: "root:x:0:\nbuilder:x:1000:\n" },
        { path: "tmp/", type: "directory", mode: 0o1777 },
      ]))();
    baseLayers.set(arch, layer);
  }
  return layer;
}

export interface JobImageOptions {
  /** This host's by default. */
  arch?: BusyboxArch;
  /** The platform variant the config and the index entry state (amd64/v3, arm64/v8.2); busybox is the same. */
  variant?: string;
  /** Layers on top of busybox. */
  extra?: TarEntry[][];
  runtime?: Record<string, unknown>;
}

/** A job image: busybox plus `extra` layers; `runtime` sets the config's Env, User, WorkingDir, Entrypoint. */
export async function jobImage(options: JobImageOptions = {}): Promise<Image> {
  const arch = options.arch ?? HOST_ARCH;
  const layers = [await busyboxLayer(arch)];
  for (const entries of options.extra ?? []) layers.push(await tarGzLayer(entries));
  return imageFrom({
    platform: { os: "linux", architecture: arch, ...(options.variant && { variant: options.variant }) },
    layers,
    ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
  });
}

/** Pushes `image` as `repo:tag` to the harness registry and returns its reference. */
export async function pushJobImage(
  registry: Registry,
  repo: string,
  tag: string,
  image: Image,
): Promise<string> {
  await pushImage(registry, repo, tag, image);
  return `${registry.host}/${repo}:${tag}`;
}

/** Pushes an index of `images` as `repo:tag`. */
export async function pushJobIndex(
  registry: Registry,
  repo: string,
  tag: string,
  images: Image[],
): Promise<string> {
  await pushIndex(registry, repo, tag, indexOf(images));
  return `${registry.host}/${repo}:${tag}`;
}

/**
 * A stand-in for the multi-arch gitlab-runner-helper image (the upstream one cannot be pulled here):
 * busybox plus /usr/bin/gitlab-runner-helper, a script that says what it was asked.
 */
/**
 * A service image: busybox's httpd serving `text` on loopback `port`, which its config exposes. With
 * `delaySeconds`, it starts listening only after that long (a slow service).
 */
export function httpdImage(
  text: string,
  port = 8080,
  options: { delaySeconds?: number } = {},
): Promise<Image> {
  const httpd = ["/bin/httpd", "-f", "-p", `127.0.0.1:${port}`, "-h", "/www"];
  return jobImage({
    extra: [
      [
        { path: "bin/httpd", type: "symlink", linkname: "busybox" },
        { path: "www/", type: "directory" },
        { path: "www/index.html", content: text },
      ],
    ],
    runtime: {
      Cmd:
        options.delaySeconds === undefined
          ? httpd
          : ["/bin/sh", "-c", `sleep ${options.delaySeconds} && exec ${httpd.join(" ")}`],
      ExposedPorts: { [`${port}/tcp`]: {} },
      Env: ["PATH=/bin"],
    },
  });
}

export async function helperStandIn(arch: "amd64" | "arm64"): Promise<Image> {
  return jobImage({
    arch,
    extra: [
      [
        { path: "usr/", type: "directory" },
        { path: "usr/bin/", type: "directory" },
        {
          path: "usr/bin/gitlab-runner-helper",
          content: `#!/bin/sh\necho "gitlab-runner-helper stand-in (${arch}): $*"\n`,
          mode: 0o755,
        },
      ],
    ],
  });
}

/** `binaries` and every shared library they load: absolute paths on this machine, each once. */
async function withLibraries(binaries: readonly string[]): Promise<string[]> {
  const libraries = await Promise.all(binaries.map(sharedLibraries));
  return [...new Set([...binaries, ...libraries.flat()])];
}

/** The host's buildah, the shared libraries it loads and its configuration: absolute paths on this machine. */
export async function hostBuildahFiles(): Promise<string[]> {
  return [
    ...(await withLibraries(["/usr/bin/buildah"])),
    "/etc/containers/policy.json",
    "/etc/containers/registries.conf",
    "/usr/share/containers/containers.conf",
    "/usr/share/containers/seccomp.json",
  ];
}

/**
 * Files of this machine as layer entries at their own paths (followed through symlinks, mode 0755), with
 * the directories above them but /bin, which the busybox layer has.
 */
async function hostFileEntries(files: readonly string[]): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.slice(1).split("/");
    for (let index = 1; index < parts.length; index++) {
      const dir = `${parts.slice(0, index).join("/")}/`;
      if (dir === "bin/" || dirs.has(dir)) continue;
      dirs.add(dir);
      entries.push({ path: dir, type: "directory" });
    }
    entries.push({ path: file.slice(1), content: await readFile(file), mode: 0o755 });
  }
  return entries;
}

/**
 * Debian's package manager from this machine, as layer entries over busybox: apt-get with its http
 * method, dpkg and the programs it runs (dpkg-deb, dpkg-split, GNU tar, ldconfig), the libraries they
 * load, dpkg's architecture tables, and the empty state of a system with no package installed. The
 * `_apt` user that apt's downloads drop to is the image's (/etc/passwd), as Debian's base-passwd has it.
 */
export async function aptEntries(): Promise<TarEntry[]> {
  const binaries = [
    "/usr/bin/apt-get",
    "/usr/lib/apt/methods/http",
    "/usr/bin/dpkg",
    "/usr/bin/dpkg-deb",
    "/usr/bin/dpkg-query",
    "/usr/bin/dpkg-split",
    "/usr/bin/tar",
    "/sbin/ldconfig",
  ];
  const tables = ["cputable", "ostable", "tupletable", "abitable"].map((name) => `/usr/share/dpkg/${name}`);
  const directories = [
    "etc/apt/",
    "etc/apt/apt.conf.d/",
    "etc/apt/preferences.d/",
    "etc/apt/sources.list.d/",
    "var/",
    "var/lib/",
    "var/lib/apt/",
    "var/lib/apt/lists/",
    "var/lib/apt/lists/partial/",
    "var/cache/",
    "var/cache/apt/",
    "var/cache/apt/archives/",
    "var/cache/apt/archives/partial/",
    "var/log/",
    "var/log/apt/",
    "var/lib/dpkg/",
    "var/lib/dpkg/info/",
    "var/lib/dpkg/updates/",
    "var/lib/dpkg/triggers/",
  ];
  return [
    ...(await hostFileEntries([...(await withLibraries(binaries)), ...tables])),
    ...directories.map((path): TarEntry => ({ path, type: "directory" })),
    { path: "var/lib/dpkg/status", content: "" },
    ...["diff", "start-stop-daemon", "chown", "su"].map(
      (applet): TarEntry => ({ path: `bin/${applet}`, type: "symlink", linkname: "busybox" }),
    ),
    {
      path: "etc/passwd",
      content:
        "root:x:0:0:root:/root:/bin/sh\n_apt:x:42:65534::/nonexistent:/bin/false\nnobody:x:65534:65534::/nonexistent:/bin/false\n",
    },
    { path: "etc/group", content: "root:x:0:\nstaff:x:50:\nnogroup:x:65534:\n" },
  ];
}
