import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

/** https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  /** Windows images state the OS build they need (`10.0.17763.1234`). */
  "os.version"?: string;
}

export type ManifestFormat = "oci" | "docker";

/** https://github.com/opencontainers/image-spec/blob/main/descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** Content-addressed bytes: a config, a layer, or a manifest. */
export interface Blob extends Descriptor {
  bytes: Buffer;
}

/** A single-platform image: manifest bytes plus every blob it references. */
export interface Image {
  /** The manifest itself; `descriptor` is how an index refers to it. */
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  platform: Platform;
  descriptor: Descriptor;
}

/** An OCI image index or Docker manifest list, with the images it lists. */
export interface ImageIndex {
  manifest: Blob;
  images: Image[];
}

export const mediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  inToto: "application/vnd.in-toto+json",
} as const;

const epoch = "1970-01-01T00:00:00Z";

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function blobOf(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

export interface TarEntry {
  /** Path inside the layer, without a leading slash ("bin/busybox"). */
  path: string;
  /** @default "file"; `link` is a hard link, `character-device` a device node (hostile-layer tests). */
  type?: "file" | "directory" | "symlink" | "link" | "character-device";
  content?: Buffer | string;
  /** @default 0o755 for directories, 0o644 for files */
  mode?: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
  /** The entry's [uid, gid] in the tar. @default [0, 0] */
  owner?: [number, number];
}

export interface Layer {
  blob: Blob;
  /** Digest of the uncompressed tar, for the config's `rootfs.diff_ids`. */
  diffId: string;
}

/** A gzip tar layer, byte-for-byte deterministic: mtime 0, root-owned unless an entry says, entries in the given order. */
export async function tarGzLayer(entries: TarEntry[], format: ManifestFormat = "oci"): Promise<Layer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const header = {
      name: entry.path,
      type,
      mode: entry.mode ?? (type === "directory" ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: entry.owner?.[0] ?? 0,
      gid: entry.owner?.[1] ?? 0,
      uname: entry.owner === undefined ? "root" : "",
      gname: entry.owner === undefined ? "root" : "",
      ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
    };
    await new Promise<void>((resolve, reject) => {
      const written = (error?: Error | null) => (error ? reject(error) : resolve());
      if (type === "file") pack.entry(header, Buffer.from(entry.content ?? ""), written);
      else pack.entry(header, written);
    });
  }
  pack.finalize();
  await done;
  const tarBytes = Buffer.concat(chunks);
  const mediaType = format === "oci" ? mediaTypes.ociLayer : mediaTypes.dockerLayer;
  return { blob: blobOf(mediaType, gzipSync(tarBytes)), diffId: sha256Digest(tarBytes) };
}

export interface ImageFromOptions {
  platform: Platform;
  layers: Layer[];
  /** @default "oci" */
  format?: ManifestFormat;
  labels?: Record<string, string>;
  cmd?: string[];
  /** More keys of the config's `config` (Env, User, WorkingDir, Entrypoint); they replace the defaults. */
  runtime?: Record<string, unknown>;
  /** Annotations on the manifest itself. */
  annotations?: Record<string, string>;
}

/** Assembles config and manifest around ready-made layers. */
export function imageFrom(options: ImageFromOptions): Image {
  const format = options.format ?? "oci";
  const { os, architecture, variant } = options.platform;
  const osVersion = options.platform["os.version"];
  const config = blobOf(
    format === "oci" ? mediaTypes.ociConfig : mediaTypes.dockerConfig,
    Buffer.from(
      JSON.stringify({
        created: epoch,
        architecture,
        os,
        ...(osVersion === undefined ? {} : { "os.version": osVersion }),
        ...(variant === undefined ? {} : { variant }),
        config: {
          Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
          ...(options.cmd === undefined ? {} : { Cmd: options.cmd }),
          ...(options.labels === undefined ? {} : { Labels: options.labels }),
          ...options.runtime,
        },
        rootfs: { type: "layers", diff_ids: options.layers.map((layer) => layer.diffId) },
        history: options.layers.map(() => ({ created: epoch, created_by: "polyarch test harness" })),
      }),
    ),
  );
  const layers = options.layers.map((layer) => layer.blob);
  const manifest = blobOf(
    format === "oci" ? mediaTypes.ociManifest : mediaTypes.dockerManifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: format === "oci" ? mediaTypes.ociManifest : mediaTypes.dockerManifest,
        config: descriptorOf(config),
        layers: layers.map(descriptorOf),
        ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
      }),
    ),
  );
  const platform = {
    architecture,
    os,
    ...(osVersion === undefined ? {} : { "os.version": osVersion }),
    ...(variant === undefined ? {} : { variant }),
  };
  return { manifest, config, layers, platform, descriptor: { ...descriptorOf(manifest), platform } };
}

export interface SyntheticImageOptions {
  /** @default linux/amd64 */
  platform?: Platform;
  /** A layer count, or the size in bytes of each layer's one file. @default 1 */
  layers?: number | number[];
  /** Different seeds give different content (and digests); the same seed gives the same bytes. @default "0" */
  seed?: string | number;
  /** @default "oci" */
  format?: ManifestFormat;
  labels?: Record<string, string>;
}

/** A small image of pseudo-random layers, identical on every run for the same options. */
export async function syntheticImage(options: SyntheticImageOptions = {}): Promise<Image> {
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const seed = String(options.seed ?? "0");
  const sizes = typeof options.layers === "object" ? options.layers : defaultSizes(options.layers ?? 1);
  const layers: Layer[] = [];
  for (const [index, size] of sizes.entries()) {
    const content = pseudoRandomBytes(`${seed}/${platformString(platform)}/${index}`, size);
    layers.push(await tarGzLayer([{ path: `layer-${index}.bin`, content }], options.format));
  }
  return imageFrom({
    platform,
    layers,
    ...(options.format === undefined ? {} : { format: options.format }),
    labels: { "org.polyarch.test.seed": seed, ...options.labels },
  });
}

/** A manifest of buildx's shape that attests `subject`, listed in an index as unknown/unknown. */
export async function attestationFor(subject: Image, format: ManifestFormat = "oci"): Promise<Image> {
  const statement = Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v0.1",
      predicateType: "https://slsa.dev/provenance/v0.2",
      subject: [{ name: "polyarch-test", digest: { sha256: subject.manifest.digest.slice(7) } }],
      predicate: {},
    }),
  );
  const layer = { blob: blobOf(mediaTypes.inToto, statement), diffId: sha256Digest(statement) };
  const image = imageFrom({ platform: { os: "unknown", architecture: "unknown" }, layers: [layer], format });
  image.descriptor.annotations = {
    "vnd.docker.reference.digest": subject.manifest.digest,
    "vnd.docker.reference.type": "attestation-manifest",
  };
  return image;
}

export interface IndexOptions {
  /** "oci" makes an image index, "docker" a manifest list. @default "oci" */
  format?: ManifestFormat;
  annotations?: Record<string, string>;
}

/** An index listing `images` in order, each by its `descriptor` (platform and annotations included). */
export function indexOf(images: Image[], options: IndexOptions = {}): ImageIndex {
  const mediaType = (options.format ?? "oci") === "oci" ? mediaTypes.ociIndex : mediaTypes.dockerList;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((image) => image.descriptor),
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    }),
  );
  return { manifest: blobOf(mediaType, bytes), images };
}

export function platformString(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant === undefined ? base : `${base}/${platform.variant}`;
}

function descriptorOf(blob: Blob): Descriptor {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

function defaultSizes(count: number): number[] {
  return Array.from({ length: count }, (_, index) => 512 + index * 256);
}

/** SHA-256 in counter mode: cheap, deterministic, and incompressible like real binaries. */
function pseudoRandomBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; offset += 32, counter++) {
    createHash("sha256").update(`${seed}#${counter}`).digest().copy(out, offset);
  }
  return out;
}
