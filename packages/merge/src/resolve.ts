import {
  type Descriptor,
  type FetchedManifest,
  formatPlatform,
  type ImageConfig,
  type ImageManifest,
  type ImageStore,
  isAttestation,
  isPolyarchError,
  manifestReference,
  PolyarchError,
  parseFetchedManifest,
  parseImageConfig,
  platformMatches,
  platformName,
  readBlob,
} from "@polyarch/oci";
import type { SourceSpec } from "./request.ts";

/** A source, read: the single-platform manifest it stands for, its config, and its attestations. */
export interface ResolvedSource {
  spec: SourceSpec;
  manifest: FetchedManifest;
  image: ImageManifest;
  config: ImageConfig;
  /** Set when the source reference named an index and the image was picked from it. */
  fromIndex?: string;
  /** Attestation manifests that reference this image, from the source index. */
  attestations: Array<{ descriptor: Descriptor; manifest: FetchedManifest }>;
}

/**
 * Reads one source: its manifest, and when that is an index the child for the source's platform,
 * then its config. Returns undefined when the source does not exist.
 */
export async function resolveSource(
  spec: SourceSpec,
  store: ImageStore,
  options: { keepAttestations: boolean },
): Promise<ResolvedSource | undefined> {
  let top: FetchedManifest;
  try {
    top = await store.getManifest(manifestReference(spec.reference));
  } catch (error: unknown) {
    if (isPolyarchError(error, "POLYARCH_E_MANIFEST_UNKNOWN")) return undefined;
    throw error;
  }
  const parsed = parseFetchedManifest(top);
  let manifest = top;
  let image: ImageManifest;
  let fromIndex: string | undefined;
  const attestations: ResolvedSource["attestations"] = [];
  if (parsed.kind === "index") {
    fromIndex = top.digest;
    const child = pickChild(spec, parsed.index.manifests);
    manifest = await store.getManifest(child.digest);
    const childParsed = parseFetchedManifest(manifest);
    if (childParsed.kind !== "image") {
      throw new PolyarchError(
        "POLYARCH_E_NESTED_INDEX",
        `${spec.text}: the entry for ${child.digest} is itself an index`,
        {
          hint: "name the per-platform image directly",
        },
      );
    }
    image = childParsed.manifest;
    if (options.keepAttestations) {
      for (const descriptor of parsed.index.manifests) {
        if (
          isAttestation(descriptor) &&
          descriptor.annotations?.["vnd.docker.reference.digest"] === child.digest
        ) {
          attestations.push({ descriptor, manifest: await store.getManifest(descriptor.digest) });
        }
      }
    }
  } else {
    image = parsed.manifest;
  }
  const configBytes = await readBlob(store, image.config);
  const config = parseImageConfig(configBytes, `config of ${spec.text}`);
  return { spec, manifest, image, config, attestations, ...(fromIndex && { fromIndex }) };
}

function pickChild(spec: SourceSpec, manifests: Descriptor[]): Descriptor {
  const images = manifests.filter((m) => !isAttestation(m));
  const offered = images.map((m) => platformName(m.platform)).join(", ") || "nothing";
  if (spec.platform) {
    const wanted = spec.platform;
    const exact = images.find((m) => m.platform && formatPlatform(m.platform) === formatPlatform(wanted));
    // A one-entry index need not state the platform; the config check in planMerge still applies.
    const only = images.length === 1 && images[0]?.platform === undefined ? images[0] : undefined;
    const compatible = exact ?? images.find((m) => m.platform && platformMatches(wanted, m.platform)) ?? only;
    if (!compatible) {
      throw new PolyarchError(
        "POLYARCH_E_PLATFORM_NOT_FOUND",
        `${spec.text} is an index without ${formatPlatform(wanted)}`,
        {
          hint: `it holds ${offered}`,
        },
      );
    }
    return compatible;
  }
  if (images.length === 1 && images[0]) return images[0];
  throw new PolyarchError(
    "POLYARCH_E_AMBIGUOUS_SOURCE",
    `${spec.text} is an index of ${images.length} images (${offered}); polyarch cannot tell which one to merge`,
    { hint: `state the platform: ${spec.text}=os/arch` },
  );
}
