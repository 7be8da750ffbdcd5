import { execFileSync } from "node:child_process";
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

/** The host's buildah, the shared libraries it loads and its configuration: absolute paths on this machine. */
export function hostBuildahFiles(): string[] {
  const libraries = execFileSync("ldd", ["/usr/bin/buildah"], { encoding: "utf8" })
    .split("\n")
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
  return [
    "/usr/bin/buildah",
    ...libraries,
    "/etc/containers/policy.json",
    "/etc/containers/registries.conf",
    "/usr/share/containers/containers.conf",
    "/usr/share/containers/seccomp.json",
  ];
}

/** The host's buildah (hostBuildahFiles) and a /var/tmp for it, as layer entries. */
export async function buildahEntries(): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const file of hostBuildahFiles()) {
    const parts = file.slice(1).split("/");
    for (let index = 1; index < parts.length; index++) {
      const dir = `${parts.slice(0, index).join("/")}/`;
      if (dir === "bin/" || dirs.has(dir)) continue;
      dirs.add(dir);
      entries.push({ path: dir, type: "directory" });
    }
    entries.push({ path: file.slice(1), content: await readFile(file), mode: 0o755 });
  }
  entries.push({ path: "var/", type: "directory" }, { path: "var/tmp/", type: "directory", mode: 0o1777 });
  return entries;
}
