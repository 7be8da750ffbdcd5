import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { MergeReport } from "@polyarch/merge";
import type { MirrorReport } from "@polyarch/mirror";
import { detectHostPlatform, formatPlatform, LayoutStore, parsePlatform } from "@polyarch/oci";
import type { BuildReport } from "@polyarch/pipeline";
import { type Inspection, readInspection } from "../inspection.ts";
import type { Io } from "../output.ts";
import { buildCommand } from "./build.ts";
import { startDemoRegistry } from "./demo-registry.ts";
import { mergeCommand } from "./merge.ts";
import { mirrorCommand } from "./mirror.ts";

export interface DemoOptions {
  /** The OCI layout directory the demo writes. @default ".polyarch-demo" */
  dir: string;
}

export interface DemoResult {
  dir: string;
  builds: BuildReport[];
  report: MergeReport;
  /** Copying the index into the layout: `unchanged` on a re-run, the builds being reproducible. */
  copy: MirrorReport;
  index: Inspection;
  arm64: Inspection;
}

const PLATFORMS = ["linux/amd64", "linux/arm64"];
/** Fixed, so every run builds the same bytes and a re-run changes nothing. */
const CREATED = "2026-01-01T00:00:00Z";

/**
 * The write-ups' pipeline in miniature, on this machine: a registry of its own on loopback (CNCF
 * distribution), then what the generated CI template's jobs run: `polyarch build` with Buildah once per
 * platform (the one this machine is not with --emulate, through QEMU's binfmt handler), and
 * `polyarch merge --from-env` fed the build jobs' dotenv variables, merging by digest. The index is
 * then copied into an OCI layout (`dir`) that outlives the registry, and read back as a tree.
 */
export async function demo(options: DemoOptions, io: Io): Promise<DemoResult> {
  const dir = resolve(io.cwd, options.dir);
  const work = await mkdtemp(join(tmpdir(), "polyarch-demo-"));
  const registry = await startDemoRegistry(join(work, "registry"), io.env);
  const quiet: Io = { ...io, stdout: io.stderr };
  try {
    const host = registry.host;
    const context = join(work, "context");
    await writeFile(
      join(work, "storage.conf"),
      `[storage]\ndriver = "vfs"\nrunroot = "${work}/run"\ngraphroot = "${work}/root"\n`,
    );
    await writeContext(context);
    const buildIo: Io = {
      ...quiet,
      env: { ...io.env, CONTAINERS_STORAGE_CONF: join(work, "storage.conf"), TMPDIR: work },
    };
    const builds: BuildReport[] = [];
    const hostPlatform = formatPlatform(await detectHostPlatform());
    for (const platform of PLATFORMS) {
      const native = platform === hostPlatform;
      builds.push(
        await buildCommand(
          [],
          {
            sourceDateEpoch: String(Date.parse(CREATED) / 1000),
            context,
            image: `${host}/demo/hello`,
            tagTemplate: "{arch}",
            builder: "buildah",
            label: [`org.opencontainers.image.created=${CREATED}`],
            ...(!native && { platform, emulate: true }),
          },
          buildIo,
        ),
      );
    }
    const variables = Object.fromEntries(builds.flatMap((build) => build.dotenv));
    const report = await mergeCommand(
      [],
      { fromEnv: true, platforms: PLATFORMS.join(","), target: `${host}/demo/hello:1` },
      { ...quiet, env: { ...io.env, ...variables } },
    );
    const copy = await mirrorCommand(`${host}/demo/hello:1`, `oci:${dir}:demo`, {}, quiet);
    const store = new LayoutStore(dir);
    const name = `oci:${dir}:demo`;
    return {
      dir,
      builds,
      report,
      copy,
      index: await readInspection(store, name, "demo"),
      arm64: await readInspection(store, name, "demo", parsePlatform("linux/arm64")),
    };
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** A Dockerfile without a base image: nothing to pull, and the same bytes every run. */
async function writeContext(context: string): Promise<void> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(context, { recursive: true });
  await writeFile(join(context, "hello.txt"), "hello from a polyarch-built image\n");
  await writeFile(
    join(context, "Dockerfile"),
    'FROM scratch\nCOPY hello.txt /etc/polyarch-hello\nCMD ["cat", "/etc/polyarch-hello"]\n',
  );
}
