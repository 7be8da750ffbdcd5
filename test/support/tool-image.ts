import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Buildah } from "@polyarch/test-harness";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Writes what images/polyarch/prepare-context writes for `variant` (polyarch's own image by default)
 * into `dir`: the Containerfile and the built cli bundle, so `pnpm build` must have run (the script is
 * told so and does not build again). `env` is added to the script's environment.
 */
export async function prepareContext(
  dir: string,
  options: { variant?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  await promisify(execFile)(
    "bash",
    [join(ROOT, "images/polyarch/prepare-context"), dir, ...(options.variant ? [options.variant] : [])],
    { env: { ...process.env, POLYARCH_PREBUILT: "1", ...options.env } },
  );
}

/**
 * Builds a prepared context with the harness's Buildah as the release pipeline builds the tool images:
 * chroot isolation, for linux/`arch` (another architecture through qemu's binfmt handler), with
 * `buildArgs` (the base images, from a plain-HTTP harness registry), tagged `tag` in `store`.
 */
export async function buildToolImage(
  store: Buildah,
  context: string,
  options: { arch: string; buildArgs: Record<string, string>; tag: string },
): Promise<void> {
  await store.run([
    "bud",
    "--isolation",
    "chroot",
    "--tls-verify=false",
    "--platform",
    `linux/${options.arch}`,
    ...Object.entries(options.buildArgs).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]),
    "-t",
    options.tag,
    context,
  ]);
}
