import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { PolyarchError } from "@polyarch/errors";
import { digestOf, digestVerifier, isDigest, parseDigest, verifyDigest } from "../core/digest.ts";
import { MediaType } from "../core/media-types.ts";
import {
  type Descriptor,
  declaredMediaType,
  encodeJson,
  type ImageIndex,
  imageIndexProblems,
} from "../core/schemas.ts";
import { withFileLock } from "../file-lock.ts";
import { throwIfInterrupted } from "../interrupted.ts";
import type {
  BlobContent,
  BlobRef,
  DeleteOutcome,
  FetchedManifest,
  ImageStore,
  ManifestHead,
} from "../store.ts";

/** The lock directory inside a layout. */
export const LOCK_NAME = ".polyarch.lock";

/** The annotation an OCI layout uses to name a manifest (its "tag"). */
export const REF_NAME = "org.opencontainers.image.ref.name";
const LAYOUT_FILE = { imageLayoutVersion: "1.0.0" };
const EMPTY_INDEX: ImageIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };

/**
 * An OCI image-layout directory (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * as an ImageStore: blobs under `blobs/<alg>/<hex>`, tags as `org.opencontainers.image.ref.name`
 * annotations on `index.json` entries. Writes go to a temporary file first and are renamed into
 * place, so a failed copy never leaves a partial blob or a half-written index.json. Updates of
 * index.json are serialized per directory across every LayoutStore in the process.
 */
export class LayoutStore implements ImageStore {
  readonly path: string;
  readonly name: string;
  readonly #signal: AbortSignal | undefined;

  /** `signal`: once it fires, nothing more is written (POLYARCH_E_INTERRUPTED). */
  constructor(path: string, options: { signal?: AbortSignal } = {}) {
    this.path = path;
    this.name = `oci:${path}`;
    this.#signal = options.signal;
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
      if (isMissing(error)) {
        throw new PolyarchError(
          "POLYARCH_E_NOT_A_LAYOUT",
          `${this.path} is not an OCI image layout (no oci-layout or index.json)`,
          {
            hint: "write to it first (polyarch mirror IMAGE oci:DIR:TAG), or check the path",
          },
        );
      }
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error: unknown) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_LAYOUT",
        `${join(this.path, "index.json")} is not valid JSON (${(error as Error).message})`,
        {
          cause: error,
          hint: "the layout is damaged; restore index.json or copy the images into a new directory",
        },
      );
    }
    const problems = imageIndexProblems(json);
    if (problems.length > 0) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_MANIFEST",
        `${this.path}/index.json is not an OCI image index: ${problems.join("; ")}`,
      );
    }
    return json as ImageIndex;
  }

  async #ensureLayout(): Promise<void> {
    await mkdir(join(this.path, "blobs", "sha256"), { recursive: true });
    await this.#locked(async () => {
      await this.#createIfAbsent("oci-layout", `${JSON.stringify(LAYOUT_FILE)}\n`);
      await this.#createIfAbsent("index.json", encodeJson(EMPTY_INDEX));
    });
  }

  /** Creates a layout file unless it exists; linking a complete temporary file never clobbers one. */
  async #createIfAbsent(name: string, content: string | Uint8Array): Promise<void> {
    const target = join(this.path, name);
    if (await exists(target)) return;
    const temp = join(this.path, `.${name}.${randomUUID()}`);
    await writeFile(temp, content);
    try {
      await link(temp, target);
    } catch (error: unknown) {
      // Another process created it first: theirs stands.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      await rm(temp, { force: true });
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
    } catch (error: unknown) {
      if (isMissing(error)) return undefined;
      throw error;
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
    throwIfInterrupted(this.#signal);
    await this.#ensureLayout();
    const digest = digestOf(bytes);
    const path = this.#blobPath(digest);
    if (!(await exists(path, bytes.length))) {
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes);
      await rename(temp, path);
    }
    if (tag !== undefined) {
      await this.#withIndex((index) => {
        // Checked again under the lock: a signal that came while waiting for it stops the tag.
        throwIfInterrupted(this.#signal);
        const named = index.manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
        // The tag already names this manifest: leaving index.json untouched keeps a re-run a no-op.
        if (named.length === 1 && named[0]?.digest === digest && named[0].mediaType === mediaType) {
          return undefined;
        }
        const kept = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
        kept.push({ mediaType, digest, size: bytes.length, annotations: { [REF_NAME]: tag } });
        return { ...index, manifests: kept };
      });
    }
    return digest;
  }

  /** Runs `task` holding the layout's lock (`.polyarch.lock` inside it; other tools ignore entries they do not know). */
  #locked(task: () => Promise<void>): Promise<void> {
    const lockPath = join(this.path, LOCK_NAME);
    return withFileLock(this.path, task, {
      lockPath,
      busy: () =>
        new PolyarchError("POLYARCH_E_LAYOUT_LOCKED", `${this.path} stayed locked by another writer`, {
          hint: `another polyarch process is writing this layout; if none is, remove ${lockPath}`,
        }),
    });
  }

  /** Read-modify-write of index.json under the directory's lock; `update` returns undefined to keep it. */
  async #withIndex(update: (index: ImageIndex) => ImageIndex | undefined): Promise<void> {
    await this.#locked(async () => {
      const updated = update(await this.#readIndex());
      if (updated) await this.#writeIndex(updated);
    });
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
    throwIfInterrupted(this.#signal);
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

  /**
   * Removes a tag (or every index.json entry of a digest) from index.json; the blobs stay, as other
   * entries or images may share them. Nothing to remove is "deleted" too.
   */
  async deleteManifest(reference: string): Promise<DeleteOutcome> {
    throwIfInterrupted(this.#signal);
    if (!(await exists(join(this.path, "index.json")))) return "deleted";
    const names = (m: Descriptor) =>
      isDigest(reference) ? m.digest === reference : m.annotations?.[REF_NAME] === reference;
    await this.#withIndex((index) => {
      const kept = index.manifests.filter((m) => !names(m));
      return kept.length === index.manifests.length ? undefined : { ...index, manifests: kept };
    });
    return "deleted";
  }

  /** The manifests `index.json` lists, named or not (Kaniko's `--oci-layout-path` names none). */
  async entries(): Promise<Descriptor[]> {
    return (await this.#readIndex()).manifests;
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
  } catch (error: unknown) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** Only a missing file (or a missing directory on its path) means "not there"; EACCES or EIO is a failure. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
