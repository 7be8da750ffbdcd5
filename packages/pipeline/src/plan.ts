import { isAbsolute, resolve } from "node:path";
import { PolyarchError } from "@polyarch/errors";
import {
  formatPlatform,
  formatRepository,
  isLoopbackRegistry,
  normalizeRegistryHost,
  type Platform,
  parsePlatform,
  platformsEqual,
  qemuHandlerName,
  type RegistryReference,
} from "@polyarch/oci";
import type { BuilderFacts } from "./builders/detect.ts";
import { BUILDERS, chooseBuilder } from "./builders/registry.ts";
import type { Builder, BuilderName, BuildSettings } from "./builders/types.ts";
import { cacheRepositoryOf } from "./cache-repository.ts";
import { baseImageRegistries } from "./dockerfile.ts";
import { buildLabels, parseKeyValues } from "./labels.ts";
import { checkRouting, type Env, requestedPlatform } from "./routing.ts";
import { sourceDateEpoch } from "./source-date-epoch.ts";
import { DEFAULT_TAG_TEMPLATE, destinationOf } from "./tag-template.ts";

export type PushWith = "builder" | "polyarch";
const PUSH_WITH: readonly PushWith[] = ["builder", "polyarch"];

/** `polyarch build`'s flags as given. */
export interface BuildOptions {
  /** @default "." */
  context?: string;
  /** @default "<context>/Dockerfile" */
  file?: string;
  buildArgs: string[];
  labels: string[];
  /** A Dockerfile stage. */
  target?: string;
  /** The destination repository; may hold `{arch}`. */
  image?: string;
  /** @default "{arch}-{sha}-{pipeline}" */
  tagTemplate?: string;
  /** Build for this platform instead of the machine's; needs `emulate`. */
  platform?: string;
  emulate: boolean;
  builder?: string;
  verifyBinaries: boolean;
  /** Arguments after `--`, for the builder's build command. */
  passThrough: string[];
  insecureRegistries: string[];
  /** Seconds since 1970 to pin every timestamp to (a reproducible build); else `SOURCE_DATE_EPOCH`. */
  sourceDateEpoch?: string;
  /** Who pushes: `builder` (its own push, then read back) or `polyarch` (from a local layout). @default "builder" */
  pushWith?: string;
  /** A registry repository for the builder's layer cache; each platform's goes in its own repository under it. */
  cacheRepo?: string;
}

/** What is known before planning: read from the machine and the files by the caller. */
export interface BuildFacts {
  host: Platform;
  env: Env;
  cwd: string;
  builders: BuilderFacts;
  /** The Dockerfile's text, or `undefined` when it does not exist. */
  dockerfileText: string | undefined;
}

/** A build, decided: every flag checked, nothing run yet (plain data). */
export interface BuildPlan {
  builder: BuilderName;
  platform: Platform;
  emulated: boolean;
  destination: RegistryReference & { tag: string };
  /**
   * `builder`: the builder pushes (reusing the layers the registry has), polyarch reads the image back by
   * digest. `polyarch`: the builder leaves a local OCI layout, polyarch checks it and pushes it.
   */
  pushWith: PushWith;
  /** Registries whose credentials go into the builder's auth file: the destination, then the bases'. */
  authHosts: string[];
  /** The builder's command line, but for what only the run knows (its private directory, the output). */
  settings: BuildSettings;
  warnings: string[];
}

/** Where the Dockerfile is, from the flags: `--file` relative to the working directory, else in the context. */
export function dockerfilePath(options: Pick<BuildOptions, "context" | "file">, cwd: string): string {
  const context = resolve(cwd, options.context ?? ".");
  if (options.file === undefined) return resolve(context, "Dockerfile");
  return isAbsolute(options.file) ? options.file : resolve(cwd, options.file);
}

/**
 * Plans a build (pure). Every input problem is found here, before anything runs: the builder, the
 * Dockerfile, `--build-arg`/`--label`, `--image` and `--tag-template`, `--platform`/`--emulate` (exit 2);
 * then a job that landed on a machine of another architecture than it asked for (exit 1).
 */
export function planBuild(options: BuildOptions, facts: BuildFacts): BuildPlan {
  const builder = chooseBuilder(options.builder, facts.builders.present);
  const context = resolve(facts.cwd, options.context ?? ".");
  const dockerfile = dockerfilePath(options, facts.cwd);
  if (facts.dockerfileText === undefined) {
    throw new PolyarchError("POLYARCH_E_NO_DOCKERFILE", `there is no Dockerfile at ${dockerfile}`, {
      hint: "give --file PATH, or --context DIR for a directory that has a Dockerfile",
    });
  }
  const buildArgs = parseKeyValues(options.buildArgs, "--build-arg");
  const epoch = sourceDateEpoch(options.sourceDateEpoch, facts.env);
  const pushWith = (options.pushWith ?? "builder") as PushWith;
  if (!PUSH_WITH.includes(pushWith)) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--push-with ${JSON.stringify(options.pushWith)} is not builder or polyarch`,
      {
        hint: "builder: the builder pushes, polyarch reads the image back; polyarch: polyarch checks the image, then pushes it",
      },
    );
  }
  const labels = buildLabels(parseKeyValues(options.labels, "--label"), facts.env);
  if (!options.image) {
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", "--image was not given", {
      hint: "name the destination repository, e.g. --image $CI_REGISTRY_IMAGE",
    });
  }
  const { platform, emulated } = targetPlatform(options, builder, facts.host);
  if (emulated) checkEmulator(platform, facts.builders.emulated);
  const destination = destinationOf(
    options.image,
    options.tagTemplate ?? DEFAULT_TAG_TEMPLATE,
    platform,
    facts.env,
  );
  checkRouting(facts.host, requestedPlatform(facts.env), emulated ? platform : undefined);
  const cacheRepository =
    options.cacheRepo === undefined ? undefined : cacheRepositoryOf(options.cacheRepo, platform);

  const insecure = new Set(options.insecureRegistries.map(normalizeRegistryHost));
  const registries = [
    destination.registry,
    ...(cacheRepository ? [cacheRepository.slice(0, cacheRepository.indexOf("/"))] : []),
    ...baseImageRegistries(facts.dockerfileText),
  ];
  const ci = [facts.env.CI_REGISTRY, facts.env.CI_DEPENDENCY_PROXY_SERVER].filter((h): h is string => !!h);
  const authHosts = [...new Set([...registries, ...ci.map(normalizeRegistryHost)])];
  const settings: BuildSettings = {
    context,
    dockerfile,
    destination: `${formatRepository(destination)}:${destination.tag}`,
    platform: formatPlatform(platform),
    buildArgs,
    labels,
    ...(options.target !== undefined && { target: options.target }),
    ...(epoch !== undefined && { sourceDateEpoch: epoch }),
    plainHttp: registries.filter((r) => isLoopbackRegistry(r) || insecure.has(r)),
    passThrough: options.passThrough,
    overlayUsable: facts.builders.overlayUsable,
    ...(cacheRepository !== undefined && { cacheRepository }),
  };
  const warnings = [
    ...(emulated
      ? [
          `building ${formatPlatform(platform)} on a ${formatPlatform(facts.host)} machine through QEMU (binfmt): expect it to be several times slower; a native ${platform.architecture} runner builds it faster`,
        ]
      : []),
    ...builder.warnings(settings),
  ];
  return { builder: builder.name, platform, emulated, destination, pushWith, authHosts, settings, warnings };
}

/** An emulated build needs the platform's binfmt handler; when the machine can say, check it is there. */
function checkEmulator(platform: Platform, emulated: string[] | undefined): void {
  if (emulated === undefined || emulated.includes(platform.architecture)) return;
  const wanted = qemuHandlerName(platform.architecture);
  throw new PolyarchError(
    "POLYARCH_E_NO_EMULATOR",
    `--emulate for ${formatPlatform(platform)} needs the ${wanted} binfmt handler, which this machine has not registered and enabled`,
    {
      hint: "install qemu-user-static and register its handlers (docker run --privileged tonistiigi/binfmt --install all, or .ci/system-packages here); or run the job on a native runner",
    },
  );
}

function targetPlatform(
  options: Pick<BuildOptions, "platform" | "emulate">,
  builder: Builder,
  host: Platform,
): { platform: Platform; emulated: boolean } {
  if (options.platform === undefined) {
    if (options.emulate) {
      throw new PolyarchError("POLYARCH_E_BAD_FLAG", "--emulate needs --platform", {
        hint: "say which platform to emulate, e.g. --platform linux/arm64 --emulate",
      });
    }
    return { platform: host, emulated: false };
  }
  const platform = parsePlatform(options.platform);
  if (platformsEqual(platform, host)) return { platform, emulated: false };
  if (!options.emulate) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--platform ${formatPlatform(platform)} is not this machine's platform (${formatPlatform(host)})`,
      {
        hint: `run the job on a ${platform.architecture} runner, or add --emulate to build through QEMU on purpose`,
      },
    );
  }
  if (!builder.emulates) {
    const emulating = BUILDERS.filter((b) => b.emulates);
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--emulate needs one of ${emulating.map((b) => b.title).join(", ")}; ${builder.name} builds only for the machine it runs on`,
      {
        hint: `use ${emulating.map((b) => `--builder ${b.name}`).join(" or ")}, or run the job on a ${platform.architecture} runner`,
      },
    );
  }
  return { platform, emulated: true };
}
