import {
  type Descriptor,
  digestOf,
  encodeJson,
  formatPlatform,
  MediaType,
  normalizePlatform,
  type Platform,
  PolyarchError,
  platformsEqual,
} from "@polyarch/oci";
import type { IndexType, MergeRequest } from "./request.ts";
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
}

/**
 * Builds the index (pure): entries in the order the sources were given, each with the platform
 * its config states. Fails when a stated platform disagrees with the config, when two sources
 * are the same platform, or when the index type cannot hold the children.
 */
export function planMerge(
  request: Pick<MergeRequest, "type" | "indexAnnotations" | "descriptorAnnotations">,
  sources: ResolvedSource[],
): MergePlan {
  if (sources.length === 0) {
    throw new PolyarchError("POLYARCH_E_SOURCE_MISSING", "none of the source images exist", {
      hint: "check the references; --ignore-missing skips absent sources but needs at least one",
    });
  }
  const platforms = sources.map(platformOf);
  platforms.forEach((platform, i) => {
    const earlier = platforms.findIndex((p) => platformsEqual(p, platform));
    if (earlier !== i) {
      throw new PolyarchError(
        "POLYARCH_E_DUPLICATE_PLATFORM",
        `${sources[i]?.spec.text} and ${sources[earlier]?.spec.text} are both ${formatPlatform(platform)} images`,
        { hint: "an index holds one image per platform" },
      );
    }
  });
  const type = chooseType(request.type, sources, request);
  const entries: PlannedEntry[] = [];
  sources.forEach((source, i) => {
    const platform = platforms[i] as Platform;
    const annotations = Object.fromEntries(
      request.descriptorAnnotations
        .filter((a) => platformsEqual(a.platform, platform))
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
      entries.push({ source, attestation: true, descriptor: attestation.descriptor });
    }
  });
  for (const annotation of request.descriptorAnnotations) {
    if (!platforms.some((p) => platformsEqual(p, annotation.platform))) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ANNOTATION",
        `--annotation for ${formatPlatform(annotation.platform)} matches no source`,
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
  return { mediaType, bytes, digest: digestOf(bytes), entries };
}

/**
 * A Docker list entry with its keys in the order of distribution's Go `Descriptor` (size before digest),
 * as docker manifest and buildah write Docker lists, so their digests and ours agree.
 */
function inDockerOrder({ mediaType, size, digest, ...rest }: Descriptor): Descriptor {
  return { mediaType, size, digest, ...rest };
}

/** The platform an image is merged as: its config's, checked against the one the user stated. */
export function platformOf(source: ResolvedSource): Platform {
  const { config } = source;
  const configured = normalizePlatform({
    os: config.os,
    architecture: config.architecture,
    ...(config.variant !== undefined && { variant: config.variant }),
  });
  const stated = source.spec.platform;
  if (stated && !platformsEqual(stated, configured)) {
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_MISMATCH",
      `${source.spec.text} is merged as ${formatPlatform(stated)} but its config says ${formatPlatform(configured)}`,
      {
        hint: "the image is mislabelled or the wrong image was named; rebuild it for the right platform, or fix the source reference",
      },
    );
  }
  const osVersion = config["os.version"] ?? stated?.["os.version"];
  const osFeatures = config["os.features"] ?? stated?.["os.features"];
  // Keys in the order of the image spec's Go struct, as buildah, buildx and manifest-tool write them,
  // so the same children give the same index digest whichever tool merged them.
  return {
    architecture: configured.architecture,
    os: configured.os,
    ...(osVersion && { "os.version": osVersion }),
    ...(osFeatures && osFeatures.length > 0 && { "os.features": osFeatures }),
    ...(configured.variant && { variant: configured.variant }),
  };
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
        hint: "use --type oci or drop --keep-attestations",
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
