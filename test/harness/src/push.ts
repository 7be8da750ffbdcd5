import { request } from "undici";
import type { Blob, Image, ImageIndex } from "./fixtures.ts";
import {
  type AuthOptions,
  authHeaders,
  HttpStatusError,
  openSession,
  type RegistryTarget,
  type Session,
} from "./registry-http.ts";

export interface PushResult {
  /** Digest of the pushed manifest. */
  digest: string;
  /** `host/repo@digest`, for skopeo and polyarch references. */
  reference: string;
}

/** Pushes every blob, then the manifest (an image, or an artifact such as a signature) under `tagOrDigest` (monolithic uploads: POST, then PUT ?digest=). */
export async function pushImage(
  target: RegistryTarget,
  repo: string,
  tagOrDigest: string,
  image: Pick<Image, "manifest" | "config" | "layers">,
  options: AuthOptions = {},
): Promise<PushResult> {
  const session = await openSession(target, repo, ["pull", "push"], options);
  await pushImageWith(session, repo, tagOrDigest, image);
  return resultFor(target, repo, image.manifest.digest);
}

/** Pushes each image by digest, then the index (or manifest list) under `tagOrDigest`. */
export async function pushIndex(
  target: RegistryTarget,
  repo: string,
  tagOrDigest: string,
  index: ImageIndex,
  options: AuthOptions = {},
): Promise<PushResult> {
  const session = await openSession(target, repo, ["pull", "push"], options);
  for (const image of index.images) await pushImageWith(session, repo, image.manifest.digest, image);
  await putManifest(session, repo, tagOrDigest, index.manifest);
  return resultFor(target, repo, index.manifest.digest);
}

/** Uploads one blob unless the registry already has it. */
export async function pushBlob(
  target: RegistryTarget,
  repo: string,
  blob: Blob,
  options: AuthOptions = {},
): Promise<void> {
  await putBlob(await openSession(target, repo, ["pull", "push"], options), repo, blob);
}

export interface FetchedManifest {
  status: number;
  bytes: Buffer;
  mediaType: string | undefined;
  /** `Docker-Content-Digest` as the registry sent it. */
  digest: string | undefined;
}

const acceptAll = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** GETs a manifest's raw bytes (any status; check `status`). */
export async function fetchManifest(
  target: RegistryTarget,
  repo: string,
  tagOrDigest: string,
  options: AuthOptions = {},
): Promise<FetchedManifest> {
  const session = await openSession(target, repo, ["pull"], options);
  const response = await request(`${session.base}/v2/${repo}/manifests/${tagOrDigest}`, {
    headers: { accept: acceptAll, ...authHeaders(session) },
  });
  return {
    status: response.statusCode,
    bytes: Buffer.from(await response.body.arrayBuffer()),
    mediaType: header(response.headers["content-type"]),
    digest: header(response.headers["docker-content-digest"]),
  };
}

async function pushImageWith(
  session: Session,
  repo: string,
  ref: string,
  image: Pick<Image, "manifest" | "config" | "layers">,
): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await putBlob(session, repo, blob);
  await putManifest(session, repo, ref, image.manifest);
}

async function putBlob(session: Session, repo: string, blob: Blob): Promise<void> {
  const blobUrl = `${session.base}/v2/${repo}/blobs/${blob.digest}`;
  const head = await request(blobUrl, { method: "HEAD", headers: authHeaders(session) });
  await head.body.dump();
  if (head.statusCode === 200) return;

  const uploads = `${session.base}/v2/${repo}/blobs/uploads/`;
  const start = await request(uploads, { method: "POST", headers: authHeaders(session) });
  const startText = await start.body.text();
  const location = header(start.headers.location);
  if (start.statusCode !== 202 || location === undefined) {
    throw new HttpStatusError("POST", uploads, start.statusCode, startText);
  }
  const putUrl = new URL(location, `${session.base}/`);
  putUrl.searchParams.set("digest", blob.digest);
  const put = await request(putUrl, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", ...authHeaders(session) },
    body: blob.bytes,
  });
  const putText = await put.body.text();
  if (put.statusCode !== 201) throw new HttpStatusError("PUT", putUrl.pathname, put.statusCode, putText);
}

async function putManifest(session: Session, repo: string, ref: string, manifest: Blob): Promise<void> {
  const url = `${session.base}/v2/${repo}/manifests/${ref}`;
  const response = await request(url, {
    method: "PUT",
    headers: { "content-type": manifest.mediaType, ...authHeaders(session) },
    body: manifest.bytes,
  });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new HttpStatusError("PUT", url, response.statusCode, text);
}

function resultFor(target: RegistryTarget, repo: string, digest: string): PushResult {
  return { digest, reference: `${new URL(target.url).host}/${repo}@${digest}` };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
