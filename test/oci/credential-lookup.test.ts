import { type Credential, RegistryClient } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import { rejection } from "./support.ts";

describe("credential lookups", () => {
  it("asks again after a lookup failed, and caches the one that succeeds", async () => {
    const credential: Credential = { kind: "basic", username: "alice", password: "s3cret-pass" };
    const asked: string[] = [];
    const client = new RegistryClient({
      credentials: async (host) => {
        asked.push(host);
        if (asked.length === 1) throw new Error("credential helper crashed");
        return credential;
      },
    });
    try {
      expect((await rejection(client.auth.credentialFor("registry.test"))).message).toBe(
        "credential helper crashed",
      );
      expect(await client.auth.credentialFor("registry.test")).toEqual(credential);
      expect(await client.auth.credentialFor("registry.test")).toEqual(credential);
      expect(asked).toEqual(["registry.test", "registry.test"]);
    } finally {
      await client.close();
    }
  });
});
