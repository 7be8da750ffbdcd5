import { describe, expect, it } from "vitest";
import { fixedScheme, SchemeResolver, skipsVerification } from "./transport.ts";

describe("Docker's registry rules", () => {
  it("fixes the scheme except for loopback registries, which are probed", () => {
    expect(fixedScheme("registry.example.com", {})).toBe("https");
    expect(fixedScheme("registry.example.com", { insecureRegistries: ["registry.example.com"] })).toBe(
      "http",
    );
    expect(fixedScheme("registry.example.com", { plainHttp: true })).toBe("http");
    for (const loopback of [
      "localhost:5000",
      "127.0.0.1:5000",
      "127.1.2.3",
      "[::1]:5000",
      "kind.localhost",
    ]) {
      expect(fixedScheme(loopback, {}), loopback).toBeUndefined();
    }
    expect(fixedScheme("127.0.0.1:5000", { plainHttp: true })).toBe("http");
  });

  it("verifies certificates except for loopback registries and with skipTlsVerify", () => {
    expect(skipsVerification("registry.example.com:443", {})).toBe(false);
    expect(skipsVerification("registry.example.com:443", { skipTlsVerify: true })).toBe(true);
    expect(skipsVerification("127.0.0.1:5000", {})).toBe(true);
    expect(skipsVerification("[::1]:5000", {})).toBe(true);
  });

  it("probes a loopback registry once per client and remembers the answer", async () => {
    const probed: string[] = [];
    const resolver = new SchemeResolver({}, async (registry) => {
      probed.push(registry);
      return registry === "127.0.0.1:8443";
    });
    expect(resolver.known("127.0.0.1:8443")).toBe("http");
    const [a, b] = await Promise.all([resolver.scheme("127.0.0.1:8443"), resolver.scheme("127.0.0.1:8443")]);
    expect([a, b]).toEqual(["https", "https"]);
    expect(await resolver.scheme("127.0.0.1:5000")).toBe("http");
    expect(await resolver.scheme("registry.example.com")).toBe("https");
    expect(probed).toEqual(["127.0.0.1:8443", "127.0.0.1:5000"]);
    expect(resolver.known("127.0.0.1:8443")).toBe("https");
  });
});
