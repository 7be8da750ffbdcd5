import { join } from "node:path";
import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import {
  type Credential,
  copyImage,
  type FetchedManifest,
  formatPlatform,
  formatRepository,
  type ImageStore,
  LayoutStore,
  type Platform,
  type RegistryReference,
  type TagWrite,
  tagWrite,
  throwIfInterrupted,
} from "@polyarch/oci";
import { type AuthDir, renderAuthConfig, writeAuthDir } from "./auth-file.ts";
import type { BuilderFacts } from "./builders/detect.ts";
import { builderNamed } from "./builders/registry.ts";
import type { Builder, BuilderInput, BuilderName, Invocation } from "./builders/types.ts";
import { buildDotenvEntries } from "./dotenv.ts";
import { type BuildOptions, type BuildPlan, dockerfilePath, planBuild } from "./plan.ts";
import type { Env } from "./routing.ts";
import type { RunProcess } from "./run-process.ts";
import { type BuiltImage, checkBuilt } from "./verify.ts";

/** The I/O a build does; the CLI passes the real machine, registry client and process runner. */
export interface BuildContext {
  env: Env;
  cwd: string;
  hostPlatform(): Promise<Platform>;
  detectBuilders(): Promise<BuilderFacts>;
  /** A file's text, or `undefined` if it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** The credential polyarch's sources give `host` (flags, DOCKER_AUTH_CONFIG, CI variables, files, ECR). */
  credential(host: string): Promise<Credential | undefined>;
  openRepository(reference: RegistryReference): ImageStore;
  run: RunProcess;
  scrub(text: string): string;
  log(line: string): void;
  /** Where the private directory (auth file, built image) is made. @default the OS temp dir */
  tempDir?: string;
  /**
   * Cancels the build (the CLI's SIGINT/SIGTERM): the builder's process group is stopped and awaited,
   * the private directory removed, and the build fails with POLYARCH_E_INTERRUPTED.
   */
  signal?: AbortSignal;
}

export interface BuildReport {
  builder: BuilderName;
  platform: string;
  emulated: boolean;
  /** `registry/repository:tag`, the unique tag pushed. */
  reference: string;
  repository: string;
  tag: string;
  digest: string;
  /** `registry/repository@sha256:…`: what the merge job reads. */
  image: string;
  mediaType: string;
  /** Who pushed: the builder (then read back), or polyarch (from the builder's layout). */
  pushedBy: "builder" | "polyarch";
  /**
   * What the push did to the tag; `unchanged` when it already named this image (polyarch's push only);
   * `pushed` when the builder pushed.
   */
  action: TagWrite | "pushed";
  size: BuiltImage["size"];
  binaries?: BuiltImage["binaries"];
  /** The `--dotenv` lines: `POLYARCH_IMAGE_<ARCH>`, `POLYARCH_DIGEST_<ARCH>`. */
  dotenv: Array<[string, string]>;
  warnings: string[];
}

/**
 * `polyarch build`: plans (every input checked, and a misrouted job refused, before anything runs),
 * writes the registries' credentials to a private auth file, and runs the builder. With `pushWith:
 * "builder"` the builder pushes (skipping the layers the registry has) and polyarch reads the image back
 * by digest and checks it; with `"polyarch"` the builder leaves the image in a layout next to the auth
 * file, polyarch checks it there and only then pushes it with its own client (the tag last, retried as
 * every other command's writes), so a wrong image never gets a tag.
 */
export async function build(options: BuildOptions, context: BuildContext): Promise<BuildReport> {
  const [host, builders, dockerfileText] = await Promise.all([
    context.hostPlatform(),
    context.detectBuilders(),
    context.readFile(dockerfilePath(options, context.cwd)),
  ]);
  const plan = planBuild(options, { host, env: context.env, cwd: context.cwd, builders, dockerfileText });
  for (const warning of plan.warnings) context.log(`warning: ${warning}`);

  const found = await Promise.all(
    plan.authHosts.map(async (host) => ({ host, credential: await context.credential(host) })),
  );
  const withCredentials = found.filter(
    (entry): entry is { host: string; credential: Credential } => entry.credential !== undefined,
  );
  const repository = formatRepository(plan.destination);
  const reference = `${repository}:${plan.destination.tag}`;
  const builder = builderNamed(plan.builder);
  const work = await writeAuthDir(
    renderAuthConfig(withCredentials),
    context.tempDir ?? builder.privateDirParent,
  );
  let pushed: { digest: string; built: BuiltImage; action: BuildReport["action"] };
  try {
    pushed =
      plan.pushWith === "polyarch"
        ? await buildAndPush(plan, builder, work, reference, options.verifyBinaries, context)
        : await buildPushedByBuilder(plan, builder, work, reference, options.verifyBinaries, context);
  } finally {
    await work.remove();
  }
  const { digest, built, action } = pushed;
  return {
    builder: plan.builder,
    platform: formatPlatform(plan.platform),
    emulated: plan.emulated,
    pushedBy: plan.pushWith,
    reference,
    repository,
    tag: plan.destination.tag,
    digest,
    image: `${repository}@${digest}`,
    action,
    mediaType: built.mediaType,
    size: built.size,
    ...(built.binaries && { binaries: built.binaries }),
    dotenv: buildDotenvEntries(plan.platform, repository, digest),
    warnings: plan.warnings,
  };
}

/** The builder pushes; polyarch reads the image back by digest (never by tag: another job may move it). */
async function buildPushedByBuilder(
  plan: BuildPlan,
  builder: Builder,
  work: AuthDir,
  reference: string,
  verifyBinaries: boolean,
  context: BuildContext,
) {
  const digestFile = join(work.path, builder.digestFileName);
  await runBuilder(plan, builder, work, { kind: "push", digestFile }, context);
  const text = await context.readFile(digestFile);
  if (text === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BUILDER_OUTPUT",
      `${builder.name} exited successfully but wrote no digest to ${digestFile}`,
      {
        hint: "arguments passed after -- may have replaced the output flags; see the builder's output above",
      },
    );
  }
  const digest = builder.readDigest(text);
  const built = await checkBuilt(context.openRepository(plan.destination), reference, digest, plan.platform, {
    binaries: verifyBinaries,
  });
  return { digest, built, action: "pushed" as const };
}

/** The builder leaves a layout; polyarch checks it, then pushes it. */
async function buildAndPush(
  plan: BuildPlan,
  builder: Builder,
  work: AuthDir,
  reference: string,
  verifyBinaries: boolean,
  context: BuildContext,
) {
  const layout = new LayoutStore(join(work.path, "image"));
  await runBuilder(plan, builder, work, { kind: "layout", dir: layout.path }, context);
  const top = await layout.getManifest(await builtDigest(layout, builder));
  const built = await checkBuilt(layout, reference, top.digest, plan.platform, { binaries: verifyBinaries });
  const action = await push(layout, context.openRepository(plan.destination), top, plan.destination.tag);
  return { digest: top.digest, built, action };
}

/** The one image the builder left in its layout (Buildah and BuildKit name it, Kaniko does not). */
async function builtDigest(layout: LayoutStore, builder: Builder): Promise<string> {
  const entries = await layout.entries().catch((error: unknown) => {
    if (isPolyarchError(error, "POLYARCH_E_NOT_A_LAYOUT")) return [];
    throw error;
  });
  const [only] = entries;
  if (only === undefined || entries.length > 1) {
    throw new PolyarchError(
      "POLYARCH_E_BUILDER_OUTPUT",
      `${builder.name} exited successfully but left ${entries.length === 0 ? "no image" : `${entries.length} images`} in ${layout.path}, where it was told to write one`,
      {
        hint: "arguments passed after -- may have replaced the output flags; see the builder's output above",
      },
    );
  }
  return only.digest;
}

/** Copies the built image to its tag, unless the tag already names it (a re-run of a reproducible build). */
async function push(
  layout: LayoutStore,
  target: ImageStore,
  top: FetchedManifest,
  tag: string,
): Promise<BuildReport["action"]> {
  const action = tagWrite(await target.headManifest(tag), top.digest);
  if (action !== "unchanged") await copyImage(layout, target, top, { tag });
  return action;
}

async function runBuilder(
  plan: BuildPlan,
  builder: Builder,
  auth: AuthDir,
  output: BuilderInput["output"],
  context: BuildContext,
): Promise<void> {
  for (const invocation of builder.commands({ ...plan.settings, authDir: auth.path, output })) {
    await runOne(invocation, context);
  }
}

async function runOne(invocation: Invocation, context: BuildContext): Promise<void> {
  throwIfInterrupted(context.signal);
  context.log(`running ${invocation.name}`);
  const result = await context.run(invocation, {
    env: context.env,
    log: context.log,
    scrub: context.scrub,
    ...(context.signal && { signal: context.signal }),
  });
  // The builder failed because it was stopped: the signal is the cause, not the build.
  throwIfInterrupted(context.signal);
  if (result.exitCode === 0) return;
  const how = result.exitCode === undefined ? result.failure : `exited with ${result.exitCode}`;
  throw new PolyarchError(
    "POLYARCH_E_BUILDER_FAILED",
    `${invocation.name} ${how}${result.tail.length > 0 ? `; its last lines:\n  ${result.tail.join("\n  ")}` : ""}`,
    { hint: "the build itself failed: fix the Dockerfile or the arguments, then re-run the job" },
  );
}
