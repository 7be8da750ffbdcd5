import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { digestOf, digestVerifier, isDigest, parseDigest, verifyDigest } from "../core/digest.ts";
import { MediaType } from "../core/media-types.ts";
import {
  type Descriptor,
  declaredMediaType,
  encodeJson,
  type ImageIndex,
  imageIndexSchema,
} from "../core/schemas.ts";
import { PolyarchError } from "../errors.ts";
import type { BlobContent, BlobRef, FetchedManifest, ImageStore, ManifestHead } from "../store.ts";

/** The annotation an OCI layout uses to name a manifest (its "tag"). */
export const REF_NAME = "org.opencontainers.image.ref.name";
const LAYOUT_FILE = { imageLayoutVersion: "1.0.0" };

/**
 * An OCI image-layout directory (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * as an ImageStore: blobs under `blobs/<alg>/<hex>`, tags as `org.opencontainers.image.ref.name`
 * annotations on `index.json` entries. Writes go to a temporary file first and are renamed into
 * place, so a failed copy never leaves a partial blob or a half-written index.json.
 */
export class LayoutStore implements ImageStore {
  readonly path: string;
  readonly name: string;
  #indexLock: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.name = `oci:${path}`;
  }

  #blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.path, "blobs", algorithm, hex);
  }

  async #readIndex(): Promise<ImageIndex> {
    let text: string;
    try {
      await readFile(join(this.path, "oci-layout"));
      text = await readFile(join(this.path, "index.json"), "utf8");
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new PolyarchError(
          "POLYARCH_E_NOT_A_LAYOUT",
          `${this.path} is not an OCI image layout (no oci-layout or index.json)`,
          {
            hint: "write to it first (polyarch mirror IMAGE oci:DIR:TAG), or check the path",
            kind: "input",
          },
        );
      }
      throw error;
    }
    const parsed = imageIndexSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_MANIFEST",
        `${this.path}/index.json is not an OCI image index`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  async #ensureLayout(): Promise<void> {
    await mkdir(join(this.path, "blobs", "sha256"), { recursive: true });
    try {
      await stat(join(this.path, "oci-layout"));
    } catch {
      await writeFile(join(this.path, "oci-layout"), `${JSON.stringify(LAYOUT_FILE)}\n`);
    }
    try {
      await stat(join(this.path, "index.json"));
    } catch {
      await this.#writeIndex({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    }
  }

  async #writeIndex(index: ImageIndex): Promise<void> {
    const temp = join(this.path, `.index.json.${randomUUID()}`);
    await writeFile(temp, encodeJson(index));
    await rename(temp, join(this.path, "index.json"));
  }

  async #descriptorFor(reference: string): Promise<Descriptor | undefined> {
    const index = await this.#readIndex();
    if (!isDigest(reference)) return index.manifests.find((m) => m.annotations?.[REF_NAME] === reference);
    const listed = index.manifests.find((m) => m.digest === reference);
    if (listed) return listed;
    // Children of an index are blobs that index.json does not list.
    try {
      const bytes = await readFile(this.#blobPath(reference));
      return {
        digest: reference,
        size: bytes.length,
        mediaType: declaredMediaType(bytes) ?? MediaType.OciManifest,
      };
    } catch {
      return undefined;
    }
  }

  async headManifest(reference: string): Promise<ManifestHead | undefined> {
    // A layout that does not exist yet holds nothing: a copy into a new directory asks this first.
    if (!(await exists(join(this.path, "index.json")))) return undefined;
    const descriptor = await this.#descriptorFor(reference);
    return (
      descriptor && { digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size }
    );
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const descriptor = await this.#descriptorFor(reference);
    if (!descriptor) {
      throw new PolyarchError(
        "POLYARCH_E_MANIFEST_UNKNOWN",
        `${this.name} has no manifest ${isDigest(reference) ? "@" : ":"}${reference}`,
        {
          hint: "check the tag or digest; `polyarch inspect oci:DIR` lists the layout's tags",
        },
      );
    }
    const bytes = await readFile(this.#blobPath(descriptor.digest));
    verifyDigest(bytes, descriptor.digest, `${this.name} manifest`);
    return { bytes, digest: descriptor.digest, mediaType: declaredMediaType(bytes) ?? descriptor.mediaType };
  }

  async putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string> {
    await this.#ensureLayout();
    const digest = digestOf(bytes);
    const path = this.#blobPath(digest);
    if (!(await exists(path, bytes.length))) {
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, path);
    }
    if (tag !== undefined) {
      await this.#withIndex(async (index) => {
        const kept = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
        kept.push({ mediaType, digest, size: bytes.length, annotations: { [REF_NAME]: tag } });
        return { ...index, manifests: kept };
      });
    }
    return digest;
  }

  /** Serializes index.json updates within this process. */
  async #withIndex(update: (index: ImageIndex) => Promise<ImageIndex>): Promise<void> {
    const run = this.#indexLock.then(async () => this.#writeIndex(await update(await this.#readIndex())));
    this.#indexLock = run.catch(() => undefined);
    await run;
  }

  async hasBlob(blob: BlobRef): Promise<boolean> {
    return exists(this.#blobPath(blob.digest), blob.size);
  }

  async openBlob(blob: BlobRef): Promise<Readable> {
    const path = this.#blobPath(blob.digest);
    if (!(await exists(path))) {
      throw new PolyarchError("POLYARCH_E_BLOB_UNKNOWN", `${this.name} has no blob ${blob.digest}`, {
        hint: "the layout is incomplete; copy the image into it again",
      });
    }
    return pipeline(
      createReadStream(path),
      digestVerifier(blob.digest, blob.size, `${this.name} blob`),
      () => {},
    );
  }

  async putBlob(blob: BlobRef, content: BlobContent): Promise<void> {
    await this.#ensureLayout();
    const path = this.#blobPath(blob.digest);
    if (await exists(path, blob.size)) return;
    await mkdir(join(path, ".."), { recursive: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      await pipelineAsync(
        await content(),
        digestVerifier(blob.digest, blob.size, `blob ${blob.digest}`),
        createWriteStream(temp),
      );
      await rename(temp, path);
    } catch (error: unknown) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async listTags(): Promise<string[]> {
    const index = await this.#readIndex();
    return index.manifests.flatMap((m) => (m.annotations?.[REF_NAME] ? [m.annotations[REF_NAME]] : []));
  }
}

async function exists(path: string, size?: number): Promise<boolean> {
  try {
    const info = await stat(path);
    return size === undefined || info.size === size;
  } catch {
    return false;
  }
}
