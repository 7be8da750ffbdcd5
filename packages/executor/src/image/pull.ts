import { PolyarchError } from "@polyarch/errors";
import {
  formatPlatform,
  type ImageStore,
  manifestReference,
  type Platform,
  parseImageConfig,
  parseManifest,
  parseRegistryReference,
  type RegistryClient,
  readBlob,
} from "@polyarch/oci";
import type { CachedLayer, ImageCache } from "../layers/cache.ts";
import { chooseChild, judgePlatform, type PlatformPolicy } from "./platform.ts";
import { type RuntimeConfig, runtimeConfig } from "./runtime-config.ts";

export interface PulledImage {
  reference: string;
  /** The digest of the single-platform manifest the job runs. */
  digest: string;
  platform: Platform;
  emulated: boolean;
  config: RuntimeConfig;
  /** The merged tree in the cache (read-only to jobs) and its cache key. */
  root: string;
  rootKey: string;
  /** Layers unpacked by this pull (the rest were in the cache already). */
  unpacked: number;
  layers: CachedLayer[];
  /** What reading the layers noticed (a media type that lies about the compression), one line each. */
  notes: string[];
}

export interface PullContext {
  client: RegistryClient;
  cache: ImageCache;
  policy: PlatformPolicy;
  /** Registries images may come from; empty allows all. */
  allowedRegistries: readonly string[];
}

/**
 * Pulls `reference` for the host's platform into the cache: an index → the child for this host
 * (or, when allowed, an emulated one); a single-platform image must match the host or be emulated.
 */
export async function pullImage(text: string, context: PullContext): Promise<PulledImage> {
  const reference = parseRegistryReference(text);
  checkAllowed(text, reference.registry, context.allowedRegistries);
  const store: ImageStore = context.client.repository(reference.registry, reference.repository);
  const top = await store.getManifest(manifestReference(reference));
  let parsed = parseManifest(top.bytes, top.digest, top.mediaType);
  if (parsed.kind === "index") {
    const picked = chooseChild(text, parsed.index.manifests, context.policy);
    const child = await store.getManifest(picked.child.digest);
    parsed = parseManifest(child.bytes, child.digest, child.mediaType);
    if (parsed.kind !== "image") {
      throw new PolyarchError(
        "POLYARCH_E_NESTED_INDEX",
        `image ${text}: the ${formatPlatform(picked.platform)} child is another index`,
        {
          hint: "point the job at a single-platform image or a flat index",
        },
      );
    }
  }
  const manifest = parsed.manifest;
  const config = parseImageConfig(await readBlob(store, manifest.config), `config of ${text}`);
  const configPlatform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant && { variant: config.variant }),
  };
  // The config has the last word: an index entry may claim another platform than its image's.
  const choice = judgePlatform(text, configPlatform, context.policy);
  let unpacked = 0;
  const layers: CachedLayer[] = [];
  const notes: string[] = [];
  for (const [index, layer] of manifest.layers.entries()) {
    const what = `layer ${index + 1}/${manifest.layers.length} (${layer.digest}) of ${text}`;
    const result = await context.cache.layer(
      { digest: layer.digest, mediaType: layer.mediaType, open: () => store.openBlob(layer) },
      what,
    );
    if (result.unpacked) unpacked += 1;
    layers.push(result.layer);
    // Kept with the unpacked layer, so every job that uses it is told, not only the first.
    for (const note of result.layer.changes.notes ?? []) notes.push(`${what}: ${note}`);
  }
  const root = await context.cache.root(parsed.digest, layers);
  return {
    reference: text,
    digest: parsed.digest,
    platform: choice.platform,
    emulated: choice.emulated,
    config: runtimeConfig(config),
    root: root.tree,
    rootKey: root.key,
    unpacked,
    layers,
    notes,
  };
}

function checkAllowed(text: string, registry: string, allowed: readonly string[]): void {
  if (allowed.length === 0 || allowed.includes(registry)) return;
  throw new PolyarchError(
    "POLYARCH_E_IMAGE_NOT_ALLOWED",
    `image ${text} is from ${registry}, which this runner does not pull from (allowed: ${allowed.join(", ")})`,
    {
      hint: "use an image from an allowed registry, or add the registry to allowed_registries in the executor settings",
    },
  );
}
