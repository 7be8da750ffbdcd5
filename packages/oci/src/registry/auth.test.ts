import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import type { Credential } from "../credentials/types.ts";
import { AuthManager } from "./auth.ts";

describe("AuthManager credential lookups", () => {
  it("asks again after a lookup failed, and caches the one that succeeds", async () => {
    const credential: Credential = { kind: "basic", username: "alice", password: "s3cret-pass" };
    const asked: string[] = [];
    const secrets: string[] = [];
    // No request is sent: credential lookups happen before any token request.
    const dispatcher = new Agent();
    const auth = new AuthManager({
      dispatcher,
      onSecret: (secret) => secrets.push(secret),
      credentials: async (host) => {
        asked.push(host);
        if (asked.length === 1) throw new Error("credential helper crashed");
        return credential;
      },
    });
    try {
      await expect(auth.credentialFor("registry.test")).rejects.toThrow("credential helper crashed");
      expect(await auth.credentialFor("registry.test")).toEqual(credential);
      expect(await auth.credentialFor("registry.test")).toEqual(credential);
      expect(asked).toEqual(["registry.test", "registry.test"]);
      expect(secrets).toContain("s3cret-pass");
    } finally {
      await dispatcher.close();
    }
  });
});
