import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import {
  digestOf,
  encodeJson,
  formatPlatform,
  type ImageStore,
  MediaType,
  type Platform,
} from "@polyarch/oci";
import { pack } from "tar-stream";

/** A fixed creation time, so the demo builds the same bytes (and digests) every time. */
const CREATED = "2026-01-01T00:00:00Z";

/**
 * Builds a tiny single-platform image (one layer holding a text file) and stores it under `tag`:
 * the smallest real image the demo can merge without a builder or a registry.
 */
export async function buildDemoImage(store: ImageStore, platform: Platform, tag: string): Promise<string> {
  const tar = await tarOf({
    "etc/polyarch-demo": `built for ${formatPlatform(platform)} by polyarch demo\n`,
  });
  const layer = gzipSync(tar, { level: 9 });
  const config = encodeJson({
    created: CREATED,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    config: { Cmd: ["cat", "/etc/polyarch-demo"] },
    rootfs: { type: "layers", diff_ids: [digestOf(tar)] },
  });
  const manifest = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: MediaType.OciLayerGzip, digest: digestOf(layer), size: layer.length }],
  });
  for (const blob of [config, layer]) {
    await store.putBlob({ digest: digestOf(blob), size: blob.length }, async () =>
      Readable.from([Buffer.from(blob)]),
    );
  }
  return store.putManifest(manifest, MediaType.OciManifest, tag);
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [path, content] of Object.entries(files)) {
    archive.entry({ name: path, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
