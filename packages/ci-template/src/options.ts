import { type Platform, PolyarchError, parsePlatformList, parseReference } from "@polyarch/oci";

/** How build jobs reach a machine of their architecture. */
export type Topology = "runner-tags" | "node-selector";
const TOPOLOGIES: readonly Topology[] = ["runner-tags", "node-selector"];

export type Builder = "auto" | "buildah" | "kaniko" | "buildkit";
const BUILDERS: readonly Builder[] = ["auto", "buildah", "kaniko", "buildkit"];

/** What `polyarch ci template` is asked for, as plain data (the CLI's flags, parsed). */
export interface BuildTemplateOptions {
  /** @default [linux/amd64, linux/arm64] */
  platforms: Platform[];
  /** @default "runner-tags" */
  topology: Topology;
  /**
   * runner-tags: the tag of each architecture's runner, `{arch}` replaced (`runner-{arch}`);
   * node-selector: the tag of the one multi-arch runner (`k8s-multiarch`).
   */
  runnerTag: string;
  /** @default "auto" (polyarch build picks the builder that is present) */
  builder: Builder;
  /**
   * The image the jobs run in (shell, polyarch, Node): `repo:tag`, or `repo:tag@sha256:…` to pin it; it
   * may name CI variables (`$CI_REGISTRY_IMAGE/polyarch:latest`).
   */
  toolImage: string;
  /** Stage names for build and merge jobs; undefined renders the stageless form (`needs: []`). */
  stages?: { build: string; merge: string };
}

const DEFAULT_TOOL_IMAGE = "registry.gitlab.com/polyarch/polyarch:0.1";
const DEFAULT_RUNNER_TAGS: Record<Topology, string> = {
  "runner-tags": "runner-{arch}",
  "node-selector": "k8s-multiarch",
};

/** The CLI's flag values (strings) checked and turned into options; bad input is a POLYARCH_E_BAD_FLAG. */
export function buildTemplateOptions(flags: {
  platforms?: string;
  topology?: string;
  runnerTag?: string;
  builder?: string;
  toolImage?: string;
  stages?: string;
}): BuildTemplateOptions {
  const topology = oneOf(flags.topology ?? "runner-tags", TOPOLOGIES, "--topology");
  const builder = oneOf(flags.builder ?? "auto", BUILDERS, "--builder");
  const platforms = parsePlatformList(flags.platforms ?? "linux/amd64,linux/arm64");
  const runnerTag = flags.runnerTag ?? DEFAULT_RUNNER_TAGS[topology];
  if (topology === "runner-tags" && platforms.length > 1 && !runnerTag.includes("{arch}"))
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--runner-tag ${JSON.stringify(runnerTag)} has no {arch}: every architecture would go to the same runners`,
      { hint: "with --topology runner-tags, give a tag with {arch} (runner-{arch})" },
    );
  if (topology === "node-selector" && runnerTag.includes("{arch}"))
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--runner-tag ${JSON.stringify(runnerTag)} has {arch}, but --topology node-selector uses one multi-arch runner`,
      { hint: "give the multi-arch runner's tag (k8s-multiarch), or use --topology runner-tags" },
    );
  const toolImage = flags.toolImage ?? DEFAULT_TOOL_IMAGE;
  // A CI variable ($CI_REGISTRY_IMAGE/polyarch:latest) is expanded by GitLab, not here.
  if (!toolImage.includes("$")) parseReference(toolImage);
  return {
    platforms,
    topology,
    runnerTag,
    builder,
    toolImage,
    ...(flags.stages && { stages: parseStages(flags.stages) }),
  };
}

function parseStages(text: string): { build: string; merge: string } {
  const [build, merge, ...rest] = text.split(",").map((stage) => stage.trim());
  if (!build || !merge || rest.length > 0)
    throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--stages ${JSON.stringify(text)} is not BUILD,MERGE`, {
      hint: "give the two stage names, e.g. --stages build,publish, or leave it out for stageless jobs",
    });
  return { build, merge };
}

function oneOf<T extends string>(value: string, valid: readonly T[], flag: string): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  throw new PolyarchError("POLYARCH_E_BAD_FLAG", `${flag} ${JSON.stringify(value)} is not valid`, {
    hint: `use one of ${valid.join(", ")}`,
  });
}
