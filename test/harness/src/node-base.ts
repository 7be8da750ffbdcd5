import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { type BusyboxArch, busyboxPath, hostBusyboxArch } from "./busybox.ts";

/**
 * The files of a small Linux base with a shell and Node.js for `arch`, assembled from this machine's
 * own files because no registry with Debian or Node images is reachable here: the real busybox-static
 * (every applet linked), Node.js (the toolchain's own binary, or the linux-arm64 build of the same version
 * that .ci/tool-image-fixtures unpacks) with the glibc and libstdc++ it links against, the host's CA
 * bundle, and an /etc/passwd with root alone. `hostFiles` (absolute paths on this machine, for `arch` the
 * host's own) are copied in at the same paths: a builder's binary, its libraries and its configuration.
 */
export async function assembleNodeBase(
  arch: BusyboxArch,
  root: string,
  hostFiles: readonly string[] = [],
): Promise<void> {
  const fixtures = process.env.POLYARCH_FIXTURES_DIR ?? "/var/cache/polyarch-fixtures";
  const native = hostBusyboxArch() === arch;
  const node = native
    ? process.execPath
    : join(fixtures, `node-linux-${arch}-${process.versions.node}`, "bin", "node");
  const libraries = native
    ? await hostLibraries(process.execPath)
    : foreignLibraries(join(fixtures, `glibc-${arch}`), arch);
  for (const required of [node, ...libraries.map(([from]) => from)]) {
    if (!existsSync(required)) throw new Error(`${required} is missing: run bash .ci/tool-image-fixtures`);
  }
  await place(busyboxPath(arch), join(root, "bin/busybox"), 0o755);
  const { stdout } = await execa(busyboxPath(hostBusyboxArch()), ["--list"]);
  for (const applet of stdout.split("\n").filter((name) => name && name !== "busybox")) {
    await symlink("busybox", join(root, "bin", applet));
  }
  for (const dir of ["usr/bin", "sbin", "usr/sbin"]) await mkdir(join(root, dir), { recursive: true });
  await symlink("/bin/env", join(root, "usr/bin/env"));
  await place(node, join(root, "usr/local/bin/node"), 0o755);
  for (const [from, to] of libraries) await place(from, join(root, to), 0o755);
  for (const file of hostFiles) await place(file, join(root, file), 0o755);
  await place("/etc/ssl/certs/ca-certificates.crt", join(root, "etc/ssl/certs/ca-certificates.crt"), 0o644);
  await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await writeFile(join(root, "etc/group"), "root:x:0:\n");
  for (const dir of ["tmp", "var/tmp", "root"]) await mkdir(join(root, dir), { recursive: true });
  for (const dir of ["tmp", "var/tmp"]) await chmod(join(root, dir), 0o1777);
}

/** Every shared library `ldd` says a binary of this machine loads: absolute paths on this machine. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execa("ldd", [binary]);
  return [...stdout.matchAll(/(\/\S+) \(0x/g)].map((match) => match[1]!);
}

/** Every shared library `ldd` says the binary loads, as [host path, path in the image] (the same path). */
async function hostLibraries(binary: string): Promise<Array<[string, string]>> {
  return (await sharedLibraries(binary)).map((path) => [path, path.slice(1)]);
}

/** Where Debian's libc6 puts each architecture's libraries, and the loader path its binaries name. */
const DEBIAN_LIBS: Record<BusyboxArch, { triplet: string; loader: string; loaderPath: string }> = {
  arm64: {
    triplet: "aarch64-linux-gnu",
    loader: "ld-linux-aarch64.so.1",
    loaderPath: "lib/ld-linux-aarch64.so.1",
  },
  amd64: {
    triplet: "x86_64-linux-gnu",
    loader: "ld-linux-x86-64.so.2",
    loaderPath: "lib64/ld-linux-x86-64.so.2",
  },
};

/**
 * The loader, glibc and libstdc++ of an unpacked Debian tree for `arch`, at the paths Debian gives
 * them (the loader read from the triplet directory: the tree's own link to it may be absolute).
 */
function foreignLibraries(tree: string, arch: BusyboxArch): Array<[string, string]> {
  const { triplet, loader, loaderPath } = DEBIAN_LIBS[arch];
  const libs = ["libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "libgcc_s.so.1"];
  return [
    [join(tree, "lib", triplet, loader), loaderPath],
    ...[loader, ...libs].map((lib): [string, string] => [
      join(tree, "lib", triplet, lib),
      `lib/${triplet}/${lib}`,
    ]),
    [join(tree, "usr/lib", triplet, "libstdc++.so.6"), `usr/lib/${triplet}/libstdc++.so.6`],
  ];
}

/** Copies a file (following symlinks, as a library's versioned name is one) and sets its mode. */
async function place(from: string, to: string, mode: number): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
  await chmod(to, mode);
}
