import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { digestOf, digestVerifier, isDigest, verifyDigest } from "./digest.ts";

const hello = new TextEncoder().encode("hello");
const helloSha256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

describe("digests", () => {
  it("hashes exact bytes with sha256 and sha512", () => {
    expect(digestOf(hello)).toBe(helloSha256);
    expect(digestOf(hello, "sha512")).toMatch(/^sha512:9b71d224bd62f378/);
    expect(isDigest(digestOf(hello, "sha512"))).toBe(true);
    expect(isDigest("sha256:ABC")).toBe(false);
  });

  it("verifies bytes against a digest and names both on mismatch", () => {
    expect(() => verifyDigest(hello, helloSha256, "x")).not.toThrow();
    expect(() => verifyDigest(new TextEncoder().encode("hellp"), helloSha256, "blob")).toThrow(
      /blob: expected sha256:2cf24dba.*content hashes to sha256:/,
    );
  });

  it("verifies a stream as it flows, failing on wrong bytes or length", async () => {
    const sink: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from("hel"), Buffer.from("lo")]),
      digestVerifier(helloSha256, 5, "b"),
      async (src) => {
        for await (const c of src) sink.push(c);
      },
    );
    expect(Buffer.concat(sink).toString()).toBe("hello");
    await expect(
      pipeline(Readable.from([Buffer.from("hellp")]), digestVerifier(helloSha256, 5, "b"), drain),
    ).rejects.toMatchObject({
      code: "POLYARCH_E_DIGEST_MISMATCH",
    });
    await expect(
      pipeline(Readable.from([Buffer.from("hell")]), digestVerifier(helloSha256, 5, "b"), drain),
    ).rejects.toMatchObject({
      code: "POLYARCH_E_SIZE_MISMATCH",
    });
  });
});

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // discard
  }
}
