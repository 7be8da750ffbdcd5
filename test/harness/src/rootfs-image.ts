import type { Buildah } from "./buildah.ts";

/**
 * Commits a directory as a one-layer image for `linux/ARCH` and pushes it to a plain-HTTP registry
 * (`reference` is `host:port/repo:tag`).
 */
export async function pushRootfs(
  buildah: Buildah,
  rootfs: string,
  arch: string,
  reference: string,
): Promise<void> {
  const container = (await buildah.run(["from", "--arch", arch, "scratch"])).trim();
  try {
    await buildah.run(["copy", container, rootfs, "/"]);
    await buildah.run([
      "config",
      "--os",
      "linux",
      "--arch",
      arch,
      "--env",
      "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
      "--cmd",
      "/bin/sh",
      container,
    ]);
    await buildah.run(["commit", "--tls-verify=false", container, `docker://${reference}`]);
  } finally {
    await buildah.run(["rm", container]);
  }
}
