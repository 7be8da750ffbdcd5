import { Readable } from "node:stream";
import { Redactor } from "@polyarch/errors";
import {
  type BlobContent,
  type Credential,
  type CredentialIO,
  createCredentialResolver,
  type RegistryClientOptions,
} from "@polyarch/oci";
import type { Blob } from "@polyarch/test-harness";

/** Credential I/O that finds nothing: no environment, no config files, no helpers on this machine. */
export const noCredentialIO: CredentialIO = {
  env: {},
  readFile: async () => undefined,
  homeDir: () => "/nonexistent/polyarch-test-home",
  runHelper: async () => {
    throw new Error("unexpected call: runHelper");
  },
};

/** Fast retries, so fault tests do not wait for production backoff. */
export const fastRetry = { baseDelayMs: 10 } as const;

/**
 * Client options the way the CLI builds them: `--username/--password` for one host through the real
 * resolver, every secret registered with one Redactor that also scrubs the client's messages.
 */
export function withCredentials(
  host: string,
  username: string,
  password: string,
): { options: RegistryClientOptions; redactor: Redactor } {
  const redactor = new Redactor();
  const resolver = createCredentialResolver(
    { explicit: { host, username, password }, redactor },
    noCredentialIO,
  );
  return { options: { credentials: (target) => resolver.get(target), scrubber: redactor }, redactor };
}

/** A credential lookup that answers `credential` for `host` only. */
export function credentialFor(host: string, credential: Credential) {
  return async (target: string) => (target === host ? credential : undefined);
}

/** A blob's bytes as a store's `BlobContent`, counting how often it was opened. */
export function contentOf(blob: Blob): BlobContent & { opened: number } {
  const open = async () => {
    open.opened += 1;
    return Readable.from([blob.bytes]);
  };
  open.opened = 0;
  return open;
}

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}
