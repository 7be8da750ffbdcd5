import { createCipheriv, createHash, type Hash } from "node:crypto";
import { request } from "node:http";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

const CHUNK = 1024 * 1024;

export interface GeneratedBlob {
  /** Digest and size of the uploaded (gzip) bytes: the layer's descriptor. */
  digest: string;
  size: number;
  /** Digest of the uncompressed bytes, for the config's `rootfs.diff_ids`. */
  diffId: string;
}

/**
 * Uploads a large layer blob to `registryUrl` (anonymous, plain HTTP) without ever holding it: `rawSize`
 * bytes of AES-256-CTR keystream (deterministic for a seed, incompressible like real binaries) wrapped in
 * gzip at level 0 (stored blocks: valid gzip, so clients that sniff for compression, like skopeo, pass it
 * on as it is rather than compressing it themselves). One pass: POST opens the upload, a chunked PATCH
 * streams the bytes while both digests are computed from the same stream, and a PUT `?digest=` with an
 * empty body commits it. Memory stays at a few chunks whatever the size.
 */
export async function pushGeneratedBlob(
  registryUrl: string,
  repo: string,
  rawSize: number,
  seed: string,
): Promise<GeneratedBlob> {
  const base = registryUrl.replace(/\/+$/, "");
  const start = await send("POST", `${base}/v2/${repo}/blobs/uploads/`);
  const patchUrl = locationOf(start, base, 202);

  const raw = new HashTap();
  const compressed = new HashTap();
  const patch = request(patchUrl, {
    method: "PATCH",
    headers: { "content-type": "application/octet-stream" },
  });
  const answered = responseOf(patch);
  await pipeline(keystream(rawSize, seed), raw, createGzip({ level: 0 }), compressed, patch);
  const digest = `sha256:${compressed.hash.digest("hex")}`;
  const putUrl = new URL(locationOf(await answered, base, 202));
  putUrl.searchParams.set("digest", digest);
  locationOf(await send("PUT", putUrl.toString()), base, 201);
  return { digest, size: compressed.bytes, diffId: `sha256:${raw.hash.digest("hex")}` };
}

/** `size` bytes of AES-256-CTR keystream keyed by `seed`, in 1 MiB chunks made one at a time. */
function keystream(size: number, seed: string): Readable {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    },
  });
}

/** Passes bytes through, hashing and counting them. */
class HashTap extends Transform {
  readonly hash: Hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

function send(method: string, url: string): Promise<Answer> {
  const outgoing = request(url, { method, headers: { "content-length": "0" } });
  const answer = responseOf(outgoing);
  outgoing.end();
  return answer;
}

function responseOf(outgoing: ReturnType<typeof request>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    outgoing.on("error", reject);
    outgoing.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          location: response.headers.location,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
}

function locationOf(answer: Answer, base: string, expected: number): string {
  if (answer.status !== expected || (expected === 202 && answer.location === undefined)) {
    throw new Error(`blob upload: expected ${expected}, got ${answer.status}: ${answer.body.slice(0, 300)}`);
  }
  return new URL(answer.location ?? "", `${base}/`).toString();
}
