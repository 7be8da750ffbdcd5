import { isPolyarchError, PolyarchError } from "@polyarch/errors";
import {
  type BlobRef,
  type Descriptor,
  type FetchedManifest,
  formatPlatform,
  type ImageConfig,
  type ImageManifest,
  type ImageStore,
  isAttestation,
  manifestReference,
  normalizePlatform,
  parseFetchedManifest,
  parseImageConfig,
  platformName,
  readBlob,
  selectChild,
} from "@polyarch/oci";
import type { MergeRules, SourceSpec } from "./request.ts";

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
  /** Attestations of this image in the source index that were left out (`keepAttestations: false`). */
  droppedAttestations?: Descriptor[];
  /**
   * Set when the stated platform is merged although the config says otherwise: `mislabelled` when the
   * binaries agree with the stated platform, `unjudged` (manifest-tool rules) when there were none to read.
   */
  statedWins?: "mislabelled" | "unjudged";
  /** With fixPlatform: the corrected config, and the digest of the manifest it replaces. */
  relabelled?: { from: string; config: BlobRef & { bytes: Uint8Array } };
}

/**
 * Reads one source: under merge rules the single image it stands for; under manifest-tool rules an
 * index source stands for all its children (and its attestations), as manifest-tool lists them.
 * Returns undefined when the source does not exist.
 */
export async function resolveSources(
  spec: SourceSpec,
  store: ImageStore,
  options: { keepAttestations: boolean; rules: MergeRules },
): Promise<ResolvedSource[] | undefined> {
  if (options.rules === "merge") {
    const one = await resolveSource(spec, store, options);
    return one && [one];
  }
  const top = await getIfExists(store, manifestReference(spec.reference));
  if (top === undefined) return undefined;
  const parsed = parseFetchedManifest(top);
  if (parsed.kind !== "index") return [await readImage(spec, store, top, parsed.manifest)];
  const images = parsed.index.manifests.filter((m) => !isAttestation(m));
  const children = await Promise.all(
    images.map(async (descriptor) => {
      const manifest = await store.getManifest(descriptor.digest);
      const childSpec: SourceSpec = descriptor.platform
        ? {
            text: `${spec.text} (${formatPlatform(descriptor.platform)})`,
            reference: spec.reference,
            platform: normalizePlatform(descriptor.platform),
            written: descriptor.platform,
          }
        : { text: `${spec.text} (${descriptor.digest})`, reference: spec.reference };
      const image = imageOf(manifest, spec.text);
      return { ...(await readImage(childSpec, store, manifest, image)), fromIndex: top.digest };
    }),
  );
  for (const descriptor of parsed.index.manifests.filter(isAttestation)) {
    const subject = descriptor.annotations?.["vnd.docker.reference.digest"];
    const owner = children.find((c) => c.manifest.digest === subject) ?? children[0];
    owner?.attestations.push({ descriptor, manifest: await store.getManifest(descriptor.digest) });
  }
  return children;
}

async function getIfExists(store: ImageStore, reference: string): Promise<FetchedManifest | undefined> {
  try {
    return await store.getManifest(reference);
  } catch (error: unknown) {
    if (isPolyarchError(error, "POLYARCH_E_MANIFEST_UNKNOWN")) return undefined;
    throw error;
  }
}

function imageOf(manifest: FetchedManifest, text: string): ImageManifest {
  const parsed = parseFetchedManifest(manifest);
  if (parsed.kind !== "image") {
    throw new PolyarchError(
      "POLYARCH_E_NESTED_INDEX",
      `${text}: the entry for ${manifest.digest} is itself an index`,
      {
        hint: "name the per-platform image directly",
      },
    );
  }
  return parsed.manifest;
}

async function readImage(
  spec: SourceSpec,
  store: ImageStore,
  manifest: FetchedManifest,
  image: ImageManifest,
): Promise<ResolvedSource> {
  const config = parseImageConfig(await readBlob(store, image.config), `config of ${spec.text}`);
  return { spec, manifest, image, config, attestations: [] };
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
  const top = await getIfExists(store, manifestReference(spec.reference));
  if (top === undefined) return undefined;
  const parsed = parseFetchedManifest(top);
  let manifest = top;
  let image: ImageManifest;
  let fromIndex: string | undefined;
  const attestations: ResolvedSource["attestations"] = [];
  const dropped: Descriptor[] = [];
  if (parsed.kind === "index") {
    fromIndex = top.digest;
    const child = pickChild(spec, parsed.index.manifests);
    manifest = await store.getManifest(child.digest);
    image = imageOf(manifest, spec.text);
    const attesting = parsed.index.manifests.filter(
      (descriptor) =>
        isAttestation(descriptor) && descriptor.annotations?.["vnd.docker.reference.digest"] === child.digest,
    );
    if (options.keepAttestations) {
      for (const descriptor of attesting) {
        attestations.push({ descriptor, manifest: await store.getManifest(descriptor.digest) });
      }
    } else {
      dropped.push(...attesting);
    }
  } else {
    image = parsed.manifest;
  }
  const resolved = await readImage(spec, store, manifest, image);
  resolved.attestations.push(...attestations);
  return {
    ...resolved,
    ...(fromIndex && { fromIndex }),
    ...(dropped.length > 0 && { droppedAttestations: dropped }),
  };
}

function pickChild(spec: SourceSpec, manifests: Descriptor[]): Descriptor {
  const images = manifests.filter((m) => !isAttestation(m));
  const offered = images.map((m) => platformName(m.platform)).join(", ") || "nothing";
  if (spec.platform) {
    const wanted = spec.platform;
    // A one-entry index need not state the platform; the config check in planMerge still applies.
    const only = images.length === 1 && images[0]?.platform === undefined ? images[0] : undefined;
    const compatible = selectChild(images, wanted, "exactly") ?? only;
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
