import { join } from "node:path";
import {
  type Credential,
  formatPlatform,
  formatRepository,
  type ImageStore,
  type Platform,
  PolyarchError,
  type RegistryReference,
} from "@polyarch/oci";
import { type AuthDir, renderAuthConfig, writeAuthDir } from "./auth-file.ts";
import type { BuilderFacts } from "./builders/detect.ts";
import type { BuilderName, Invocation } from "./builders/types.ts";
import { buildDotenvEntries } from "./dotenv.ts";
import { type BuildOptions, type BuildPlan, dockerfilePath, planBuild } from "./plan.ts";
import type { Env } from "./routing.ts";
import type { RunProcess } from "./run-process.ts";
import { type PushedImage, readBack } from "./verify.ts";

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
  /** Where the private auth directory is made. @default the OS temp dir */
  tempDir?: string;
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
  size: PushedImage["size"];
  binaries?: PushedImage["binaries"];
  /** The `--dotenv` lines: `POLYARCH_IMAGE_<ARCH>`, `POLYARCH_DIGEST_<ARCH>`. */
  dotenv: Array<[string, string]>;
  warnings: string[];
}

/**
 * `polyarch build`: plans (every input checked, and a misrouted job refused, before anything runs),
 * writes the registries' credentials to a private auth file, runs the builder, then reads the pushed
 * image back by digest and checks its platform (and with `verifyBinaries` its ELF binaries).
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
  const auth = await writeAuthDir(renderAuthConfig(withCredentials), context.tempDir);
  let digest: string;
  try {
    digest = await runBuilder(plan, auth, context);
  } finally {
    await auth.remove();
  }

  const repository = formatRepository(plan.destination);
  const reference = `${repository}:${plan.destination.tag}`;
  const pushed = await readBack(context.openRepository(plan.destination), reference, digest, plan.platform, {
    binaries: options.verifyBinaries,
  });
  return {
    builder: plan.builder.name,
    platform: formatPlatform(plan.platform),
    emulated: plan.emulated,
    reference,
    repository,
    tag: plan.destination.tag,
    digest,
    image: `${repository}@${digest}`,
    mediaType: pushed.mediaType,
    size: pushed.size,
    ...(pushed.binaries && { binaries: pushed.binaries }),
    dotenv: buildDotenvEntries(plan.platform, repository, digest),
    warnings: plan.warnings,
  };
}

async function runBuilder(plan: BuildPlan, auth: AuthDir, context: BuildContext): Promise<string> {
  const outputFile = join(auth.path, plan.builder.name === "buildkit" ? "metadata.json" : "digest");
  const invocations = plan.builder.commands({
    context: plan.context,
    dockerfile: plan.dockerfile,
    destination: `${formatRepository(plan.destination)}:${plan.destination.tag}`,
    platform: formatPlatform(plan.platform),
    buildArgs: plan.buildArgs,
    labels: plan.labels,
    ...(plan.target !== undefined && { target: plan.target }),
    plainHttp: plan.plainHttp,
    passThrough: plan.passThrough,
    authDir: auth.path,
    outputFile,
    ...(plan.storageDriver && { storageDriver: plan.storageDriver }),
  });
  for (const invocation of invocations) await runOne(invocation, context);
  const text = await context.readFile(outputFile);
  if (text === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BUILDER_OUTPUT",
      `${plan.builder.name} exited successfully but wrote no digest to ${outputFile}`,
      {
        hint: "arguments passed after -- may have replaced the output flags; see the builder's output above",
      },
    );
  }
  return plan.builder.readDigest(text);
}

async function runOne(invocation: Invocation, context: BuildContext): Promise<void> {
  context.log(`running ${invocation.name}`);
  const result = await context.run(invocation, { env: context.env, log: context.log, scrub: context.scrub });
  if (result.exitCode === 0) return;
  const how = result.exitCode === undefined ? result.failure : `exited with ${result.exitCode}`;
  throw new PolyarchError(
    "POLYARCH_E_BUILDER_FAILED",
    `${invocation.name} ${how}${result.tail.length > 0 ? `; its last lines:\n  ${result.tail.join("\n  ")}` : ""}`,
    { hint: "the build itself failed: fix the Dockerfile or the arguments, then re-run the job" },
  );
}
