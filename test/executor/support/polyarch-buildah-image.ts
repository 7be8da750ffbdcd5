import { join } from "node:path";
import { assembleNodeBase, pushRootfs, type Registry, startBuildah, tempDir } from "@polyarch/test-harness";
import { buildToolImage, prepareContext } from "../../support/tool-image.ts";
import { HOST_ARCH, hostBuildahFiles } from "./images.ts";

/**
 * The build jobs' image of the multi-arch-image component for this machine's architecture, as shipped:
 * images/polyarch-buildah/Containerfile built by the harness's Buildah from the context that
 * images/polyarch/prepare-context writes (the built cli bundle in /opt/polyarch, its launcher in
 * /usr/local/bin). Buildah's and Node's images cannot be pulled here, so both BUILDAH_IMAGE and NODE_IMAGE
 * are one base assembled from this machine's files: busybox, Node.js with its glibc (assembleNodeBase)
 * and the host's buildah with its libraries and configuration. Pushed to `registry` as
 * tools/polyarch-buildah:ARCH; returns that reference. Needs `pnpm build` first.
 */
export async function polyarchBuildahImage(registry: Registry): Promise<string> {
  const arch = HOST_ARCH;
  const work = await tempDir("polyarch-buildah-image-");
  const store = await startBuildah([registry.host]);
  try {
    const context = join(work.path, "context");
    await prepareContext(context, { variant: "polyarch-buildah" });
    const rootfs = join(work.path, "base");
    await assembleNodeBase(arch, rootfs, await hostBuildahFiles());
    const base = `${registry.host}/base/buildah-node:${arch}`;
    await pushRootfs(store, rootfs, arch, base);
    const tag = `${registry.host}/tools/polyarch-buildah:${arch}`;
    await buildToolImage(store, context, { arch, buildArgs: { BUILDAH_IMAGE: base, NODE_IMAGE: base }, tag });
    await store.run(["push", "--tls-verify=false", tag, `docker://${tag}`]);
    return tag;
  } finally {
    await store.remove();
    await work.remove();
  }
}
