import { PolyarchError } from "@polyarch/errors";
import type { BlobRef, ImageStore } from "./store.ts";

/** Configs and other small JSON blobs are read whole; anything bigger than this is refused. */
const SMALL_BLOB_LIMIT = 16 * 1024 * 1024;

/** Reads a small blob (an image config) whole, verified against its digest and size. */
export async function readBlob(store: ImageStore, blob: BlobRef, limit = SMALL_BLOB_LIMIT): Promise<Buffer> {
  if (blob.size > limit) {
    throw new PolyarchError(
      "POLYARCH_E_BLOB_TOO_LARGE",
      `${store.name}: blob ${blob.digest} is ${blob.size} bytes, more than ${limit} to read whole`,
      {
        hint: "this is not a config blob; check the manifest",
      },
    );
  }
  const parts: Buffer[] = [];
  for await (const chunk of await store.openBlob(blob)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
