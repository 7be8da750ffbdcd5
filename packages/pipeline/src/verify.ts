import { PolyarchError } from "@polyarch/errors";
import {
  type Descriptor,
  type FetchedManifest,
  formatPlatform,
  type ImageManifest,
  type ImageStore,
  normalizePlatform,
  type Platform,
  parseImageConfig,
  parseManifest,
  platformsEqual,
  readBlob,
  selectChild,
} from "@polyarch/oci";

/** What the builder wrote, read from its layout. */
export interface BuiltImage {
  digest: string;
  mediaType: string;
  /** The platform its config states. */
  platform: Platform;
  /** Bytes: the manifest, the config and the layers (compressed) of the image for the platform. */
  size: { manifest: number; config: number; layers: number };
  /** With `verifyBinaries`: how many ELF binaries were checked, in one line. */
  binaries?: { checked: number; summary: string };
}

/**
 * Checks the image a builder wrote (`digest` in `store`, the builder's layout) is what was asked for,
 * before anything is pushed: its config's platform must be `expected`, and with `binaries` its ELF
 * executables must be for that machine. An index (BuildKit adds attestations) is read through its child
 * for `expected`. `reference` names the image in messages.
 */
export async function checkBuilt(
  store: ImageStore,
  reference: string,
  digest: string,
  expected: Platform,
  options: { binaries: boolean },
): Promise<BuiltImage> {
  const top = await store.getManifest(digest);
  let manifest: FetchedManifest = top;
  let parsed = parseManifest(top.bytes, top.digest, top.mediaType);
  if (parsed.kind === "index") {
    const child = pickChild(parsed.index.manifests, expected, reference);
    manifest = await store.getManifest(child.digest);
    parsed = parseManifest(manifest.bytes, manifest.digest, manifest.mediaType);
    if (parsed.kind !== "image") {
      throw new PolyarchError(
        "POLYARCH_E_NESTED_INDEX",
        `${reference}@${digest} holds an index in an index`,
        {
          hint: "push a single-platform image",
        },
      );
    }
  }
  const image: ImageManifest = parsed.manifest;
  const config = parseImageConfig(await readBlob(store, image.config), `config of ${reference}@${digest}`);
  const platform = normalizePlatform({
    os: config.os,
    architecture: config.architecture,
    ...(config.variant !== undefined && { variant: config.variant }),
  });
  if (!platformsEqual(platform, expected)) {
    throw new PolyarchError(
      "POLYARCH_E_BUILT_PLATFORM",
      `${reference}@${digest} was built for ${formatPlatform(expected)} but its config (${image.config.digest}) says ${formatPlatform(platform)}`,
      {
        hint: "the builder labelled the image for another platform (a --platform passed through, or Kaniko's cache shared across architectures); rebuild natively without the cache",
      },
    );
  }
  const built: BuiltImage = {
    digest,
    mediaType: top.mediaType,
    platform,
    size: {
      manifest: manifest.bytes.length,
      config: image.config.size,
      layers: image.layers.reduce((sum, layer) => sum + layer.size, 0),
    },
  };
  if (options.binaries)
    built.binaries = await checkBinaries(store, image, expected, `${reference}@${digest}`);
  return built;
}

function pickChild(manifests: Descriptor[], expected: Platform, reference: string): Descriptor {
  const child = selectChild(manifests, expected, "exactly");
  if (child === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BUILT_PLATFORM",
      `${reference} was built as an index without a ${formatPlatform(expected)} image`,
      { hint: "the builder built for another platform; check --platform and what was passed after --" },
    );
  }
  return child;
}

async function checkBinaries(
  store: ImageStore,
  image: ImageManifest,
  expected: Platform,
  text: string,
): Promise<{ checked: number; summary: string }> {
  // Loaded on first use: only --verify-binaries reads layers, and the layer readers are a large module tree.
  const { verifyBinaries } = await import("@polyarch/elf");
  const result = await verifyBinaries({
    expected: {
      architecture: expected.architecture,
      ...(expected.variant !== undefined && { variant: expected.variant }),
    },
    layers: image.layers.map((layer) => ({
      mediaType: layer.mediaType,
      digest: layer.digest,
      open: () => store.openBlob(layer),
    })),
  });
  const first = result.mismatches[0];
  if (!result.ok && first !== undefined) {
    const layer = first.layer
      ? `layer ${first.layer.position} of ${image.layers.length}${first.layer.digest ? ` (${first.layer.digest})` : ""}`
      : "a layer";
    throw new PolyarchError(
      "POLYARCH_E_BINARY_MISMATCH",
      `${text} is ${formatPlatform(expected)} but ${layer} holds ${first.path}, a ${first.foundName} binary` +
        (result.mismatches.length > 1 ? ` (and ${result.mismatches.length - 1} more binaries)` : ""),
      {
        hint: "a layer came from a cache or base image of another architecture; rebuild natively without the shared cache",
      },
    );
  }
  return { checked: result.checked, summary: result.summary };
}
