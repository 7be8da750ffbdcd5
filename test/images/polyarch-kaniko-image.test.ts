import { execFile } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  assembleNodeBase,
  type Buildah,
  busyboxPath,
  pushRootfs,
  type Registry,
  startBuildah,
  startRegistry,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildToolImage, prepareContext } from "../support/tool-image.ts";

// images/polyarch-kaniko/Containerfile built for real with Buildah, for amd64 and (through qemu's binfmt
// handler) arm64. Kaniko's debug image cannot be pulled here, so it is stood in for by an image holding
// only a static busybox in /busybox, as Kaniko's has: no libc, no node. polyarch then runs only if node,
// every library it loads, and polyarch itself live under /kaniko, the one place Kaniko keeps when it
// builds. Kaniko itself is not run here (this machine has no Kaniko).
const ARCHES = ["amd64", "arm64"] as const;
const exec = promisify(execFile);

let registry: Registry;
let work: TempDir;
let store: Buildah;
const containers = new Map<string, string>();

beforeAll(async () => {
  registry = await startRegistry();
  work = await tempDir("polyarch-kaniko-image-");
  store = await startBuildah([registry.host]);
  const context = join(work.path, "context");
  await prepareContext(context, { variant: "polyarch-kaniko" });
  for (const arch of ARCHES) {
    const nodeBase = join(work.path, `node-${arch}`);
    await assembleNodeBase(arch, nodeBase);
    await pushRootfs(store, nodeBase, arch, `${registry.host}/base/node:${arch}`);
    const kanikoStandIn = join(work.path, `kaniko-${arch}`);
    await mkdir(join(kanikoStandIn, "busybox"), { recursive: true });
    await exec("cp", [busyboxPath(arch), join(kanikoStandIn, "busybox/busybox")]);
    for (const applet of ["sh", "rm", "ls", "cat"])
      await symlink("busybox", join(kanikoStandIn, "busybox", applet));
    await pushRootfs(store, kanikoStandIn, arch, `${registry.host}/base/kaniko:${arch}`);
    const tag = `${registry.host}/tools/polyarch-kaniko:${arch}`;
    await buildToolImage(store, context, {
      arch,
      buildArgs: {
        NODE_IMAGE: `${registry.host}/base/node:${arch}`,
        KANIKO_IMAGE: `${registry.host}/base/kaniko:${arch}`,
      },
      tag,
    });
    containers.set(arch, (await store.run(["from", "--pull-never", tag])).trim());
  }
}, 900_000);

afterAll(async () => {
  await registry?.stop();
  await store?.remove();
  await work?.remove();
});

const inImage = (arch: string, script: string) =>
  store.runIn(containers.get(arch)!, ["/busybox/sh", "-c", script], "/busybox/sh");

describe.each(ARCHES)("the Kaniko variant of the tool image for %s", (arch) => {
  it("runs polyarch from /kaniko alone, on a base with no libc and no node", async () => {
    const { version } = (await import("../../packages/cli/package.json", { with: { type: "json" } })).default;
    const outside = (await inImage(arch, "ls /usr/local/bin/node /lib 2>&1 || true")).trim();
    expect(outside).toMatch(/No such file or directory/);
    expect((await inImage(arch, "polyarch --version")).trim()).toBe(version);
  });

  it("keeps polyarch's temporary files and home under /kaniko, which Kaniko does not delete", async () => {
    expect((await inImage(arch, 'echo "$TMPDIR $HOME"')).trim()).toBe("/kaniko/tmp /kaniko/tmp");
    expect((await inImage(arch, "ls -ld /kaniko/tmp")).trim()).toMatch(/^drwxrwxrwt/);
  });
});
