import type { BlobRef, FetchedManifest } from "../store.ts";
import { digestOf } from "./digest.ts";
import { normalizePlatform, type Platform } from "./platform.ts";
import { encodeJson } from "./schemas.ts";

export interface RelabelledImage {
  /** The new config blob: the old one with os, architecture and variant corrected. */
  config: BlobRef & { bytes: Uint8Array };
  /** The new manifest: the old one pointing at the new config (same layers, same media type). */
  manifest: FetchedManifest;
}

/**
 * Relabels an image (pure): a new config blob that states `platform`, every other field kept in its
 * order, and a new manifest that differs only in its config descriptor, so it has a new digest.
 */
export function relabel(
  manifest: FetchedManifest,
  configBytes: Uint8Array,
  platform: Platform,
): RelabelledImage {
  const target = normalizePlatform(platform);
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>;
  config.architecture = target.architecture;
  config.os = target.os;
  if (target.variant === undefined) delete config.variant;
  else config.variant = target.variant;
  const newConfig = encodeJson(config);
  const document = JSON.parse(new TextDecoder().decode(manifest.bytes)) as {
    config: { mediaType: string; digest: string; size: number };
  } & Record<string, unknown>;
  const descriptor = { ...document.config, digest: digestOf(newConfig), size: newConfig.length };
  const bytes = encodeJson({ ...document, config: descriptor });
  return {
    config: {
      digest: descriptor.digest,
      size: descriptor.size,
      mediaType: descriptor.mediaType,
      bytes: newConfig,
    },
    manifest: { bytes, digest: digestOf(bytes), mediaType: manifest.mediaType },
  };
}
