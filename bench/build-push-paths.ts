import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, vfsStorage } from "@polyarch/test-harness";
import { formatBytes, formatMs, formatRatio } from "./lib/format.ts";
import { type ProcessOptions, runProcess } from "./lib/process.ts";
import { createSandbox } from "./lib/sandbox.ts";
import { summarize } from "./lib/timing.ts";
import type { Benchmark } from "./lib/types.ts";

/** Timed rounds per path, after one untimed warm-up round. */
const ROUNDS = 5;
/** How much of this machine's shared libraries the image holds: real, partly compressible bytes. */
const PAYLOAD_BYTES = 96 * 1024 * 1024;
/** Where the libraries are: Debian's multiarch directory for this machine, else /usr/lib. */
const LIBRARIES = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"].find((dir) =>
  existsSync(dir),
) as string;

/**
 * What each `polyarch build --push-with` value asks of Buildah on a re-build of an image whose layers the
 * registry already has: the builder's own push (`buildah push docker://…`, which skips the layers the
 * registry has) against the push into a local layout that `--push-with polyarch` needs (`buildah push
 * oci:DIR`, which compresses every layer anew, every build). Both from one vfs storage holding one image
 * of real library files; each layout push goes to a fresh directory.
 */
export const buildPushPaths: Benchmark = {
  name: "build-push-paths",
  title:
    "build: Buildah's push to a registry that has the layers vs into a local layout (--push-with polyarch)",
  async run(context) {
    const registry = await startRegistry();
    const sandbox = await createSandbox();
    try {
      const storage = await vfsStorage(sandbox.dir);
      const buildContext = join(sandbox.dir, "context");
      const payload = join(buildContext, "lib");
      await mkdir(payload, { recursive: true });
      const bytes = await copyLibraries(payload);
      await writeFile(join(buildContext, "Dockerfile"), "FROM scratch\nCOPY lib /lib\n");
      const options: ProcessOptions = {
        env: { ...sandbox.env, ...storage },
        cwd: sandbox.dir,
        signal: context.signal,
      };
      const image = `${registry.host}/bench/libs:1`;
      await runProcess("buildah", ["bud", "--isolation", "chroot", "--tag", image, buildContext], options);
      // The first push uploads the layer; every push after it finds the registry has it, as re-builds do.
      await runProcess("buildah", ["push", "--tls-verify=false", image, `docker://${image}`], options);

      const samples = { registry: [] as number[], layout: [] as number[] };
      for (let round = 0; round <= ROUNDS; round++) {
        context.signal.throwIfAborted();
        const toRegistry = await runProcess(
          "buildah",
          ["push", "--tls-verify=false", image, `docker://${registry.host}/bench/libs:r${round}`],
          options,
        );
        const layout = join(sandbox.dir, `layout-${round}`);
        const toLayout = await runProcess("buildah", ["push", image, `oci:${layout}`], options);
        await rm(layout, { recursive: true, force: true });
        if (round > 0) {
          samples.registry.push(toRegistry.ms);
          samples.layout.push(toLayout.ms);
        }
        context.log(`round ${round}${round === 0 ? " (warm-up)" : ""} done`);
      }
      const registryPush = summarize(samples.registry);
      const layoutPush = summarize(samples.layout);
      return {
        rows: [
          {
            case: `buildah push of ${formatBytes(bytes)} of libraries, the registry has the layer`,
            polyarch: `into a layout ${formatMs(layoutPush.median)}`,
            reference: `to the registry ${formatMs(registryPush.median)}`,
            ratio: `${formatRatio(layoutPush.median, registryPush.median)} layout/registry`,
            note: `median of ${ROUNDS}; what --push-with polyarch adds to every build of such an image, before polyarch's own push`,
          },
        ],
        data: { rounds: ROUNDS, bytes, ms: { registry: registryPush, layout: layoutPush }, samples },
      };
    } finally {
      await sandbox.remove();
      await registry.stop();
    }
  },
};

/** Copies shared libraries of this machine into `dir` until PAYLOAD_BYTES; returns the bytes copied. */
async function copyLibraries(dir: string): Promise<number> {
  let total = 0;
  for (const name of (await readdir(LIBRARIES)).sort()) {
    if (total >= PAYLOAD_BYTES) break;
    const source = join(LIBRARIES, name);
    const info = await stat(source).catch(() => undefined);
    if (!info?.isFile()) continue;
    await copyFile(source, join(dir, name));
    total += info.size;
  }
  return total;
}
