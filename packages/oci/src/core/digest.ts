import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { PolyarchError } from "@polyarch/errors";

/**
 * Content digests as the OCI image spec defines them: `algorithm:encoded`.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 * sha256 is what everything writes; sha512 is accepted when reading.
 */
export type DigestAlgorithm = "sha256" | "sha512";

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return DIGEST_PATTERN.test(value);
}

export function parseDigest(value: string): { algorithm: DigestAlgorithm; hex: string } {
  if (!isDigest(value)) {
    throw new PolyarchError("POLYARCH_E_BAD_DIGEST", `"${value}" is not a digest`, {
      hint: "a digest is sha256: followed by 64 lowercase hex characters (or sha512: and 128)",
    });
  }
  const [algorithm, hex] = value.split(":") as [DigestAlgorithm, string];
  return { algorithm, hex };
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** Throws when `bytes` do not hash to `expected` (computed with the algorithm `expected` names). */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(bytes, algorithm);
  if (actual !== expected) {
    throw new PolyarchError(
      "POLYARCH_E_DIGEST_MISMATCH",
      `${what}: expected ${expected}, content hashes to ${actual}`,
      {
        hint: "the registry or a proxy returned different bytes than were asked for; retry, and check for a caching proxy",
      },
    );
  }
}

/**
 * A pass-through stream that hashes what flows through it and fails at the end when the digest
 * or the length differ from what the descriptor promised, so a blob is verified while it streams
 * without holding it in memory.
 */
export function digestVerifier(expected: string, expectedSize: number | undefined, what: string): Transform {
  const { algorithm } = parseDigest(expected);
  const hash = createHash(algorithm);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      seen += chunk.length;
      if (expectedSize !== undefined && seen > expectedSize) {
        callback(sizeMismatch(what, expectedSize, seen));
        return;
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (expectedSize !== undefined && seen !== expectedSize) {
        callback(sizeMismatch(what, expectedSize, seen));
        return;
      }
      const actual = `${algorithm}:${hash.digest("hex")}`;
      if (actual !== expected) {
        callback(
          new PolyarchError(
            "POLYARCH_E_DIGEST_MISMATCH",
            `${what}: expected ${expected}, content hashes to ${actual}`,
            {
              hint: "the blob was corrupted in transit or in storage; retry",
            },
          ),
        );
        return;
      }
      callback();
    },
  });
}

function sizeMismatch(what: string, expected: number, seen: number): PolyarchError {
  return new PolyarchError(
    "POLYARCH_E_SIZE_MISMATCH",
    `${what}: expected ${expected} bytes, received ${seen > expected ? "more than that" : seen}`,
    { hint: "the transfer was cut short or the content changed; retry" },
  );
}
