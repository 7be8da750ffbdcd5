import { PolyarchError } from "@polyarch/errors";
import {
  type Descriptor,
  digestOf,
  encodeJson,
  formatPlatform,
  MediaType,
  normalizePlatform,
  type Platform,
  platformsEqual,
} from "@polyarch/oci";
import type { IndexType, MergeRequest, MergeRules } from "./request.ts";
import type { ResolvedSource } from "./resolve.ts";

/** One entry of the index to push, and the source its manifest comes from. */
export interface PlannedEntry {
  descriptor: Descriptor;
  source: ResolvedSource;
  /** The attestation this entry is, when it is one (copied from the source's index). */
  attestation?: boolean;
}

export interface MergePlan {
  mediaType: string;
  bytes: Uint8Array;
  digest: string;
  entries: PlannedEntry[];
  /** What the user should know about the index (a Docker list over OCI children). */
  warnings: string[];
}

type PlanRequest = Pick<MergeRequest, "type" | "indexAnnotations" | "descriptorAnnotations" | "rules">;

/**
 * Builds the index (pure): entries in the order the sources were given, each with its platform
 * (`platformOf`). Fails when a stated platform disagrees with the config (unless the source is
 * marked `statedWins`), when two sources are the same platform (os, architecture, variant, OS version
 * and OS features), or when the index type cannot hold the children.
 */
export function planMerge(request: PlanRequest, sources: ResolvedSource[]): MergePlan {
  const rules = request.rules ?? "merge";
  if (sources.length === 0) {
    throw new PolyarchError("POLYARCH_E_SOURCE_MISSING", "none of the source images exist", {
      hint: "check the references; --ignore-missing skips absent sources but needs at least one",
    });
  }
  const platforms = sources.map((source) => platformOf(source, rules));
  platforms.forEach((platform, i) => {
    const earlier = platforms.findIndex((p) => platformIdentity(p) === platformIdentity(platform));
    if (earlier !== i) {
      throw new PolyarchError(
        "POLYARCH_E_DUPLICATE_PLATFORM",
        `${sources[i]?.spec.text} and ${sources[earlier]?.spec.text} are both ${describePlatform(platform)} images`,
        { hint: "an index holds one image per platform" },
      );
    }
  });
  const warnings: string[] = [];
  const type =
    rules === "manifest-tool"
      ? manifestToolType(request.type, sources, request, warnings)
      : chooseType(request.type, sources, request);
  const entries: PlannedEntry[] = [];
  const trailing: PlannedEntry[] = [];
  sources.forEach((source, i) => {
    const platform = platforms[i] as Platform;
    const annotations = Object.fromEntries(
      request.descriptorAnnotations
        .filter((a) => a.platform === undefined || platformsEqual(a.platform, platform))
        .map((a) => [a.key, a.value]),
    );
    entries.push({
      source,
      descriptor: {
        mediaType: source.manifest.mediaType,
        digest: source.manifest.digest,
        size: source.manifest.bytes.length,
        ...(Object.keys(annotations).length > 0 && { annotations }),
        platform,
      },
    });
    for (const attestation of source.attestations) {
      (rules === "manifest-tool" ? trailing : entries).push({
        source,
        attestation: true,
        descriptor: attests(attestation.descriptor, source),
      });
    }
  });
  // manifest-tool lists every image first, then every attestation.
  entries.push(...trailing);
  for (const annotation of request.descriptorAnnotations) {
    const wanted = annotation.platform;
    if (wanted && !platforms.some((p) => platformsEqual(p, wanted))) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ANNOTATION",
        `--annotation for ${formatPlatform(wanted)} matches no source`,
        { hint: `the sources are ${platforms.map(formatPlatform).join(", ")}` },
      );
    }
  }
  const mediaType = type === "docker" ? MediaType.DockerManifestList : MediaType.OciIndex;
  const document = {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => (type === "docker" ? inDockerOrder(e.descriptor) : e.descriptor)),
    ...(Object.keys(request.indexAnnotations).length > 0 && { annotations: request.indexAnnotations }),
  };
  const bytes = encodeJson(document);
  return { mediaType, bytes, digest: digestOf(bytes), entries, warnings };
}

/**
 * An attestation's entry, naming the image it attests by the digest the index lists: a source relabelled
 * by --fix-platform is listed under its new digest, so the annotation follows it.
 */
function attests(descriptor: Descriptor, source: ResolvedSource): Descriptor {
  const named = descriptor.annotations?.["vnd.docker.reference.digest"];
  if (named === undefined || named === source.manifest.digest) return descriptor;
  return {
    ...descriptor,
    annotations: { ...descriptor.annotations, "vnd.docker.reference.digest": source.manifest.digest },
  };
}

/**
 * A Docker list entry with its keys in the order of distribution's Go `Descriptor` (size before digest),
 * as docker manifest and buildah write Docker lists, so their digests and ours agree.
 */
function inDockerOrder({ mediaType, size, digest, ...rest }: Descriptor): Descriptor {
  return { mediaType, size, digest, ...rest };
}

/** The platform an image's config states, normalized. */
export function configuredPlatform(source: ResolvedSource): Platform {
  const { config } = source;
  return normalizePlatform({
    os: config.os,
    architecture: config.architecture,
    ...(config.variant !== undefined && { variant: config.variant }),
  });
}

/**
 * True when the stated platform and the config disagree. Under manifest-tool's rules a stated platform
 * without a variant takes the config's, so only os and architecture are compared then.
 */
export function contradictsConfig(source: ResolvedSource, rules: MergeRules): boolean {
  const stated = source.spec.platform;
  if (!stated) return false;
  const configured = configuredPlatform(source);
  if (
    rules === "manifest-tool" &&
    source.spec.written?.variant === undefined &&
    stated.variant !== undefined
  ) {
    return stated.os !== configured.os || stated.architecture !== configured.architecture;
  }
  return !platformsEqual(stated, configured);
}

/**
 * The platform an image is merged as. Merge rules: its config's, which must agree with the stated
 * one unless `statedWins`, then the stated one. Manifest-tool rules: the stated os and architecture
 * as written, its variant, OS version and OS features when stated, else the config's.
 */
export function platformOf(source: ResolvedSource, rules: MergeRules = "merge"): Platform {
  const { config } = source;
  const configured = configuredPlatform(source);
  const stated = source.spec.platform;
  if (stated && !source.statedWins && contradictsConfig(source, rules)) {
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_MISMATCH",
      `${source.spec.text} is merged as ${formatPlatform(stated)} but its config says ${formatPlatform(configured)}`,
      {
        hint: "the image is mislabelled or the wrong image was named; rebuild it for the right platform, or fix the source reference",
      },
    );
  }
  if (rules === "manifest-tool" && stated) {
    const written = source.spec.written ?? stated;
    return orderedPlatform({
      architecture: written.architecture,
      os: written.os,
      variant: written.variant || config.variant,
      "os.version": written["os.version"] || config["os.version"],
      "os.features": written["os.features"]?.length ? written["os.features"] : config["os.features"],
    });
  }
  const chosen = source.statedWins && stated ? stated : configured;
  return orderedPlatform({
    architecture: chosen.architecture,
    os: chosen.os,
    variant: chosen.variant,
    "os.version": config["os.version"] ?? stated?.["os.version"],
    "os.features": config["os.features"] ?? stated?.["os.features"],
  });
}

/**
 * Keys in the order of the image spec's Go struct, as buildah, buildx and manifest-tool write them,
 * so the same children give the same index digest whichever tool merged them; empty fields left out.
 */
function orderedPlatform(p: {
  architecture: string;
  os: string;
  variant?: string | undefined;
  "os.version"?: string | undefined;
  "os.features"?: string[] | undefined;
}): Platform {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p["os.version"] && { "os.version": p["os.version"] }),
    ...(p["os.features"] && p["os.features"].length > 0 && { "os.features": p["os.features"] }),
    ...(p.variant && { variant: p.variant }),
  };
}

/** What makes two index entries the same platform: os, architecture, variant, OS version and features. */
function platformIdentity(platform: Platform): string {
  return [
    formatPlatform(platform),
    platform["os.version"] ?? "",
    (platform["os.features"] ?? []).join("."),
  ].join("|");
}

function describePlatform(platform: Platform): string {
  const version = platform["os.version"] ? ` ${platform["os.version"]}` : "";
  const features = platform["os.features"]?.length ? ` (${platform["os.features"].join(", ")})` : "";
  return `${formatPlatform(platform)}${version}${features}`;
}

/** Registries known to refuse a Docker manifest list that lists OCI manifests (`manifest invalid`). */
export const REFUSE_DOCKER_LIST_OF_OCI = ["quay.io (and Red Hat Quay)"];

/**
 * manifest-tool's type rule (`--type`, default docker): a Docker manifest list is written whatever the
 * children are, with a warning when some are OCI manifests; annotations need OCI, as manifest-tool says.
 */
function manifestToolType(
  requested: IndexType | undefined,
  sources: ResolvedSource[],
  request: Pick<MergeRequest, "indexAnnotations" | "descriptorAnnotations">,
  warnings: string[],
): IndexType {
  if (requested === "oci") return "oci";
  if (Object.keys(request.indexAnnotations).length > 0 || request.descriptorAnnotations.length > 0) {
    throw new PolyarchError(
      "POLYARCH_E_TYPE_MISMATCH",
      `a Docker manifest list (--type ${requested ?? "docker"}, manifest-tool's default) has no annotations`,
      { hint: "add --type oci to annotate the index, as manifest-tool asks too" },
    );
  }
  const oci = sources.filter(
    (s) => s.manifest.mediaType !== MediaType.DockerManifest || s.attestations.length > 0,
  );
  if (oci.length > 0) {
    warnings.push(
      `writing a Docker manifest list over OCI manifests (${oci.map((s) => s.spec.text).join(", ")}), as manifest-tool does; ` +
        `CNCF distribution accepts it, but ${REFUSE_DOCKER_LIST_OF_OCI.join(", ")} refuse${REFUSE_DOCKER_LIST_OF_OCI.length === 1 ? "s" : ""} it with "manifest invalid"; add --type oci for an OCI index`,
    );
  }
  return "docker";
}

function chooseType(
  requested: IndexType | undefined,
  sources: ResolvedSource[],
  request: Pick<MergeRequest, "indexAnnotations" | "descriptorAnnotations">,
): IndexType {
  const allDocker = sources.every(
    (s) => s.manifest.mediaType === MediaType.DockerManifest && s.attestations.length === 0,
  );
  if (requested === "docker") {
    const oci = sources.find((s) => s.manifest.mediaType !== MediaType.DockerManifest);
    if (oci) {
      throw new PolyarchError(
        "POLYARCH_E_TYPE_MISMATCH",
        `--type docker cannot list ${oci.spec.text}, an ${oci.manifest.mediaType} manifest`,
        {
          hint: "registries reject Docker manifest lists that point at OCI manifests; use --type oci (or leave --type out)",
        },
      );
    }
    if (sources.some((s) => s.attestations.length > 0)) {
      throw new PolyarchError("POLYARCH_E_TYPE_MISMATCH", "--type docker cannot carry attestations", {
        hint: "use --type oci, or drop the attestations with --no-attestations",
      });
    }
    if (Object.keys(request.indexAnnotations).length > 0 || request.descriptorAnnotations.length > 0) {
      throw new PolyarchError("POLYARCH_E_TYPE_MISMATCH", "Docker manifest lists have no annotations", {
        hint: "use --type oci to annotate",
      });
    }
    return "docker";
  }
  if (requested === "oci") return "oci";
  const annotated =
    Object.keys(request.indexAnnotations).length > 0 || request.descriptorAnnotations.length > 0;
  return allDocker && !annotated ? "docker" : "oci";
}
