import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Blob, Image, ImageIndex } from "./fixtures.ts";

/**
 * Writes an image (or an index and its images) as an OCI image layout, the way a builder's exporter
 * does: blobs under `blobs/sha256`, and `index.json` with one entry, named by `refName` when given
 * (Buildah, BuildKit) or not (Kaniko's `--oci-layout-path`). Plain files, independent of polyarch.
 */
export async function writeLayout(
  dir: string,
  content: Image | ImageIndex,
  options: { refName?: string } = {},
): Promise<void> {
  const images = "images" in content ? content.images : [content];
  const blobs: Blob[] = [
    ...images.flatMap((image) => [image.manifest, image.config, ...image.layers]),
    content.manifest,
  ];
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  for (const blob of blobs) await writeFile(join(dir, "blobs", "sha256", blob.digest.slice(7)), blob.bytes);
  const { mediaType, digest, size } = content.manifest;
  const entry = {
    mediaType,
    digest,
    size,
    ...(options.refName && { annotations: { "org.opencontainers.image.ref.name": options.refName } }),
  };
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [entry],
    }),
  );
}
