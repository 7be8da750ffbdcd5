import { pipeline, Readable } from "node:stream";
import { type ErrorCode, PolyarchError } from "@polyarch/errors";
import type { Dispatcher } from "undici";
import { digestOf, digestVerifier, isDigest, verifyDigest } from "../core/digest.ts";
import { isIndexMediaType, MANIFEST_ACCEPT, MediaType } from "../core/media-types.ts";
import { declaredMediaType, type ImageIndex, parseManifest } from "../core/schemas.ts";
import type {
  BlobContent,
  BlobRef,
  DeleteOutcome,
  FetchedManifest,
  ImageStore,
  ManifestHead,
} from "../store.ts";
import type { RegistryClient } from "./client.ts";
import { responseError } from "./response-error.ts";

/** Manifests larger than this are refused (the distribution spec suggests registries cap at 4 MiB). */
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const TAGS_PAGE = 1000;
/** Chunk size for chunked uploads when the registry asks for them without a minimum. */
const DEFAULT_CHUNK = 8 * 1024 * 1024;

export type MountResult = "mounted" | "uploaded" | "exists";

/** One repository of a registry, as an ImageStore plus registry-only operations (mounts). */
export class RegistryRepository implements ImageStore {
  readonly client: RegistryClient;
  readonly registry: string;
  readonly repository: string;
  readonly name: string;

  constructor(client: RegistryClient, registry: string, repository: string) {
    this.client = client;
    this.registry = registry;
    this.repository = repository;
    this.name = `${registry}/${repository}`;
  }

  #path(kind: "manifests" | "blobs" | "tags" | "referrers", rest: string): string {
    return `/v2/${this.repository}/${kind}/${rest}`;
  }

  #send(path: string, init: Parameters<RegistryClient["send"]>[2]) {
    return this.client.send(this.registry, path, init);
  }

  async #fail(response: Dispatcher.ResponseData, what: string, notFound?: ErrorCode): Promise<never> {
    throw await responseError(response, what, (text) => this.client.scrub(text), notFound);
  }

  async headManifest(reference: string): Promise<ManifestHead | undefined> {
    const response = await this.#send(this.#path("manifests", reference), {
      method: "HEAD",
      headers: { accept: MANIFEST_ACCEPT },
    });
    const status = response.statusCode;
    // responseError reads the body for the registry's error codes, so only answers we use are dumped.
    if (status !== 200 && status !== 404 && status !== 405) {
      return this.#fail(response, `HEAD manifest ${this.name}:${reference}`);
    }
    await response.body.dump();
    if (status === 404) return undefined;
    const digest = header(response, "docker-content-digest");
    const mediaType = header(response, "content-type");
    const size = Number(header(response, "content-length"));
    if (status === 200 && digest && isDigest(digest) && mediaType && Number.isFinite(size)) {
      return { digest, mediaType: mediaType.split(";")[0] as string, size };
    }
    // No usable headers (or HEAD not allowed): read the manifest to learn them.
    const fetched = await this.#getManifestOrUndefined(reference);
    return fetched && { digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.bytes.length };
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const fetched = await this.#getManifestOrUndefined(reference);
    if (!fetched) {
      throw new PolyarchError(
        "POLYARCH_E_MANIFEST_UNKNOWN",
        `${this.name} has no manifest ${describe(reference)}`,
        {
          hint: "check the tag or digest; `polyarch inspect` lists what a repository holds",
        },
      );
    }
    return fetched;
  }

  async #getManifestOrUndefined(reference: string): Promise<FetchedManifest | undefined> {
    const what = `GET manifest ${this.name}${describe(reference)}`;
    const response = await this.#send(this.#path("manifests", reference), {
      method: "GET",
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (response.statusCode === 404) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode !== 200) return this.#fail(response, what);
    const bytes = await readLimited(response.body, MANIFEST_LIMIT, what);
    const headerDigest = header(response, "docker-content-digest");
    let digest: string;
    if (isDigest(reference)) {
      verifyDigest(bytes, reference, what);
      digest = reference;
    } else {
      digest = headerDigest?.startsWith("sha512:") ? digestOf(bytes, "sha512") : digestOf(bytes);
      if (headerDigest && isDigest(headerDigest) && headerDigest !== digest) {
        throw new PolyarchError(
          "POLYARCH_E_DIGEST_MISMATCH",
          `${what}: the registry says ${headerDigest}, the content hashes to ${digest}`,
          {
            hint: "a proxy or the registry altered the manifest; retry",
          },
        );
      }
    }
    const contentType = header(response, "content-type")?.split(";")[0]?.trim();
    const declared = declaredMediaType(bytes);
    return { bytes, digest, mediaType: declared ?? contentType ?? "application/octet-stream" };
  }

  /**
   * The referrers of `digest` from the referrers API, or undefined when the registry lacks it (404, or an
   * answer that is not an image index, as the spec tells clients to read it). A registry that claims an
   * index but sends a malformed one fails (POLYARCH_E_REFERRERS_INVALID): it answers the API wrongly,
   * and falling back would hide that. Filters are applied by the caller: registries need not apply them.
   */
  async getReferrers(digest: string): Promise<ImageIndex["manifests"] | undefined> {
    const what = `GET referrers ${this.name}@${digest}`;
    const response = await this.#send(this.#path("referrers", digest), {
      method: "GET",
      headers: { accept: MediaType.OciIndex },
    });
    if (response.statusCode === 404) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode !== 200) return this.#fail(response, what);
    const contentType = header(response, "content-type")?.split(";")[0]?.trim();
    const bytes = await readLimited(response.body, MANIFEST_LIMIT, what);
    if (!isIndexMediaType(contentType)) return undefined;
    try {
      const parsed = parseManifest(bytes, "(referrers list)", contentType);
      if (parsed.kind !== "index") throw new Error("not an index");
      return parsed.index.manifests;
    } catch (error: unknown) {
      throw new PolyarchError(
        "POLYARCH_E_REFERRERS_INVALID",
        `${what}: the registry says it sends an image index, but the body is not one`,
        { cause: error, hint: "the registry answers the referrers API wrongly; report it to its operators" },
      );
    }
  }

  async putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string> {
    const digest = digestOf(bytes);
    const reference = tag ?? digest;
    const response = await this.#send(this.#path("manifests", reference), {
      method: "PUT",
      headers: { "content-type": mediaType },
      body: Buffer.from(bytes),
    });
    if (response.statusCode !== 201 && response.statusCode !== 200) {
      return this.#fail(response, `PUT manifest ${this.name}${describe(reference)}`);
    }
    await response.body.dump();
    const returned = header(response, "docker-content-digest");
    if (returned?.startsWith("sha256:") && returned !== digest) {
      throw new PolyarchError(
        "POLYARCH_E_DIGEST_MISMATCH",
        `${this.name}: pushed ${digest} but the registry stored ${returned}`,
        {
          hint: "the registry rewrote the manifest; polyarch cannot pin what it pushed",
        },
      );
    }
    return digest;
  }

  /**
   * Deletes a manifest by digest, or a tag where the registry supports it (OCI distribution 1.1;
   * distribution 2.8 answers a tag with 400 DIGEST_INVALID: "unsupported"). 405, 401 and 403 mean
   * deletes are disabled or not permitted: "refused". Other statuses are errors.
   */
  async deleteManifest(reference: string): Promise<DeleteOutcome> {
    const response = await this.#send(this.#path("manifests", reference), { method: "DELETE" });
    const status = response.statusCode;
    if (status === 202 || status === 200 || status === 404) {
      await response.body.dump();
      return "deleted";
    }
    if (status === 405 || status === 401 || status === 403) {
      await response.body.dump();
      return "refused";
    }
    if (status === 400 && !isDigest(reference)) {
      await response.body.dump();
      return "unsupported";
    }
    return this.#fail(response, `DELETE manifest ${this.name}${describe(reference)}`);
  }

  async hasBlob(blob: BlobRef): Promise<boolean> {
    const response = await this.#send(this.#path("blobs", blob.digest), { method: "HEAD" });
    await response.body.dump();
    if (response.statusCode === 200) return true;
    if (response.statusCode === 404) return false;
    return this.#fail(response, `HEAD blob ${this.name}@${blob.digest}`);
  }

  async openBlob(blob: BlobRef): Promise<Readable> {
    const what = `blob ${this.name}@${blob.digest}`;
    const response = await this.#send(this.#path("blobs", blob.digest), { method: "GET" });
    if (response.statusCode !== 200) return this.#fail(response, `GET ${what}`, "POLYARCH_E_BLOB_UNKNOWN");
    const verifier = digestVerifier(blob.digest, blob.size, what);
    return pipeline(response.body, verifier, () => {});
  }

  async putBlob(blob: BlobRef, content: BlobContent): Promise<void> {
    const session = await this.#startUpload(`/v2/${this.repository}/blobs/uploads/`, blob);
    if (session.kind !== "session") return;
    await this.#upload(session.location, session.minChunk, blob, content);
  }

  /**
   * Mounts a blob from another repository of the same registry; when the registry will not mount
   * (202 with an upload session, or an error), uploads it from `content` instead.
   */
  async mountBlob(blob: BlobRef, fromRepository: string, content: BlobContent): Promise<MountResult> {
    const query = new URLSearchParams({ mount: blob.digest, from: fromRepository });
    const session = await this.#startUpload(`/v2/${this.repository}/blobs/uploads/?${query}`, blob, true);
    if (session.kind === "done") return "mounted";
    if (session.kind === "refused") {
      await this.putBlob(blob, content);
      return "uploaded";
    }
    await this.#upload(session.location, session.minChunk, blob, content);
    return "uploaded";
  }

  async #startUpload(
    path: string,
    blob: BlobRef,
    mounting = false,
  ): Promise<
    { kind: "done" } | { kind: "refused" } | { kind: "session"; location: string; minChunk?: number }
  > {
    const response = await this.#send(path, { method: "POST", headers: { "content-length": "0" } });
    if (mounting && response.statusCode === 201) {
      await response.body.dump();
      return { kind: "done" };
    }
    if (response.statusCode !== 202) {
      if (mounting && response.statusCode !== 401 && response.statusCode !== 403) {
        await response.body.dump();
        return { kind: "refused" };
      }
      return this.#fail(response, `start upload of blob ${blob.digest} to ${this.name}`);
    }
    await response.body.dump();
    const location = this.#location(response, path);
    const min = Number(header(response, "oci-chunk-min-length"));
    return { kind: "session", location, ...(Number.isFinite(min) && min > 0 && { minChunk: min }) };
  }

  #location(response: Dispatcher.ResponseData, requestPath: string): string {
    const location = header(response, "location");
    if (!location) {
      throw new PolyarchError("POLYARCH_E_REGISTRY", `${this.name} started an upload without a Location`, {
        hint: "the registry does not follow the distribution spec",
      });
    }
    return new URL(location, new URL(requestPath, this.client.originFor(this.registry))).toString();
  }

  /**
   * Uploads into the session at `location`. When the upload fails (or the command is interrupted),
   * the session is cancelled (DELETE on its URL, as the distribution spec provides) so the registry
   * does not keep a half-written upload until it purges it.
   */
  async #upload(
    location: string,
    minChunk: number | undefined,
    blob: BlobRef,
    content: BlobContent,
  ): Promise<void> {
    const session = { url: location };
    try {
      await this.#uploadInto(session, minChunk, blob, content);
    } catch (error: unknown) {
      await this.#cancelUpload(session.url);
      // The session was granted, so the credentials were good when it started: most often a token that
      // expired while the bytes went up. A streamed body cannot be answered in place; the copy starts over.
      if (error instanceof PolyarchError && error.code === "POLYARCH_E_UNAUTHORIZED") {
        throw new PolyarchError(
          "POLYARCH_E_UPLOAD_UNAUTHORIZED",
          `${this.name} refused the credentials in the middle of the upload of blob ${blob.digest}: ${error.message}`,
          {
            cause: error,
            hint: "a token that expires during a long upload is fetched again when the upload starts over; if this persists, check the credentials' lifetime",
          },
        );
      }
      throw error;
    }
  }

  async #cancelUpload(url: string): Promise<void> {
    try {
      const response = await this.#send(url, { method: "DELETE", cancel: true });
      await response.body.dump();
    } catch {
      // Best effort: the upload already failed, and an upload left behind is purged by the registry.
    }
  }

  async #uploadInto(
    session: { url: string },
    minChunk: number | undefined,
    blob: BlobRef,
    content: BlobContent,
  ): Promise<void> {
    const what = `upload of blob ${blob.digest} to ${this.name}`;
    let url = session.url;
    let source: Readable = await content();
    if (minChunk !== undefined) {
      const chunkSize = Math.max(minChunk, DEFAULT_CHUNK);
      let offset = 0;
      for await (const chunk of chunks(source, chunkSize)) {
        const response = await this.#send(url, {
          method: "PATCH",
          headers: {
            "content-type": "application/octet-stream",
            "content-range": `${offset}-${offset + chunk.length - 1}`,
            "content-length": String(chunk.length),
          },
          body: chunk,
        });
        if (response.statusCode !== 202) return this.#fail(response, what);
        await response.body.dump();
        url = this.#location(response, new URL(url).pathname);
        session.url = url;
        offset += chunk.length;
      }
      source = emptyStream();
    }
    const target = new URL(url);
    target.searchParams.set("digest", blob.digest);
    const response = await this.#send(target.toString(), {
      method: "PUT",
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(minChunk === undefined ? blob.size : 0),
      },
      body: source,
    });
    if (response.statusCode !== 201) return this.#fail(response, what);
    await response.body.dump();
  }

  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `${this.#path("tags", "list")}?n=${TAGS_PAGE}`;
    while (next) {
      const response: Dispatcher.ResponseData = await this.#send(next, { method: "GET" });
      if (response.statusCode === 404) {
        await response.body.dump();
        return tags;
      }
      if (response.statusCode !== 200) return this.#fail(response, `list tags of ${this.name}`);
      tags.push(...(await this.#tagsOf(response)));
      next = nextLink(header(response, "link"));
    }
    return tags;
  }

  /** The tags of one tags/list page (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags). */
  async #tagsOf(response: Dispatcher.ResponseData): Promise<string[]> {
    const text = await response.body.text();
    let body: { tags?: unknown } | null;
    try {
      body = JSON.parse(text) as { tags?: unknown } | null;
    } catch (error: unknown) {
      throw new PolyarchError(
        "POLYARCH_E_REGISTRY",
        `${this.name} answered list tags with a body that is not JSON`,
        {
          cause: error,
          hint: "the registry (or a proxy in front of it) does not follow the distribution spec",
        },
      );
    }
    const tags = body?.tags ?? [];
    if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === "string")) {
      throw new PolyarchError(
        "POLYARCH_E_REGISTRY",
        `${this.name} answered list tags without a list of tags`,
        {
          hint: "the registry (or a proxy in front of it) does not follow the distribution spec",
        },
      );
    }
    return tags;
  }
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describe(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`;
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number, what: string): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) {
      throw new PolyarchError(
        "POLYARCH_E_MANIFEST_TOO_LARGE",
        `${what}: the manifest is larger than ${limit} bytes`,
        {
          hint: "registries cap manifests at 4 MiB; this is not a manifest polyarch can handle",
        },
      );
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

async function* chunks(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of source) {
    pending.push(piece);
    length += piece.length;
    while (length >= size) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, size);
      pending = [all.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}

function emptyStream(): Readable {
  return Readable.from([]);
}
