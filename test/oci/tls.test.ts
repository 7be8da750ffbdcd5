import { isPolyarchError } from "@polyarch/errors";
import { RegistryClient } from "@polyarch/oci";
import {
  loopbackLookup,
  pushImage,
  type Registry,
  startRegistry,
  startTlsProxy,
  syntheticImage,
  type TlsProxy,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// registry.test is not a loopback name, so the client speaks HTTPS to it; loopbackLookup keeps the
// traffic on 127.0.0.1.
let registry: Registry;
let tls: TlsProxy;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry();
  tls = await startTlsProxy(registry.url);
  ({ digest } = await pushImage(registry, "team/app", "1.0", await syntheticImage({ seed: "tls" })));
});

afterAll(async () => {
  await tls?.stop();
  await registry?.stop();
});

describe("TLS", () => {
  it("reaches a non-loopback registry over HTTPS, trusting the CA it was given", async () => {
    const client = new RegistryClient({ ca: tls.certificatePem, lookup: loopbackLookup });
    try {
      const head = await client.repository(tls.host, "team/app").headManifest("1.0");
      expect(head?.digest).toBe(digest);
      expect(client.originFor(tls.host)).toBe(`https://${tls.host}`);
    } finally {
      await client.close();
    }
  });

  it("verifies certificates by default: a self-signed one is refused without the CA", async () => {
    const client = new RegistryClient({ lookup: loopbackLookup, retry: { retries: 0 } });
    try {
      const error = await client
        .repository(tls.host, "team/app")
        .headManifest("1.0")
        .catch((caught: unknown) => caught);
      expect(isPolyarchError(error, "POLYARCH_E_NETWORK")).toBe(true);
      expect((error as Error).message).toMatch(/self.signed|certificate/i);
    } finally {
      await client.close();
    }
  });
});

// The same TLS registry named by its loopback address: Docker's default insecure registry.
describe("TLS on loopback (Docker's rules)", () => {
  const loopback = () => `127.0.0.1:${tls.port}`;
  const head = async (options: ConstructorParameters<typeof RegistryClient>[0]) => {
    const client = new RegistryClient({ retry: { retries: 0 }, ...options });
    try {
      const found = await client
        .repository(loopback(), "team/app")
        .headManifest("1.0")
        .catch((caught: unknown) => caught);
      return { found, origin: client.originFor(loopback()) };
    } finally {
      await client.close();
    }
  };

  it("tries HTTPS first and accepts a self-signed certificate, as Docker does for loopback", async () => {
    const { found, origin } = await head({});
    expect((found as { digest?: string }).digest).toBe(digest);
    expect(origin).toBe(`https://${loopback()}`);
  });

  it("falls back to plain HTTP when the loopback port does not speak TLS", async () => {
    const client = new RegistryClient({ retry: { retries: 0 } });
    try {
      const found = await client.repository(registry.host, "team/app").headManifest("1.0");
      expect(found?.digest).toBe(digest);
      expect(client.originFor(registry.host)).toBe(`http://${registry.host}`);
    } finally {
      await client.close();
    }
  });

  it("skipTlsVerify (manifest-tool's --insecure) is HTTPS without verification", async () => {
    const { found, origin } = await head({ skipTlsVerify: true });
    expect((found as { digest?: string }).digest).toBe(digest);
    expect(origin).toBe(`https://${loopback()}`);
    const named = new RegistryClient({ skipTlsVerify: true, lookup: loopbackLookup, retry: { retries: 0 } });
    try {
      expect((await named.repository(tls.host, "team/app").headManifest("1.0"))?.digest).toBe(digest);
    } finally {
      await named.close();
    }
  });

  it("plainHttp (--plain-http) speaks HTTP even to a TLS port, and fails there", async () => {
    const { found, origin } = await head({ plainHttp: true });
    expect(isPolyarchError(found, "POLYARCH_E_NETWORK")).toBe(true);
    expect(origin).toBe(`http://${loopback()}`);
  });

  it("insecureRegistries (--insecure-registry) speaks HTTP to that registry only", async () => {
    const { found, origin } = await head({ insecureRegistries: [loopback()] });
    expect(isPolyarchError(found, "POLYARCH_E_NETWORK")).toBe(true);
    expect(origin).toBe(`http://${loopback()}`);
  });
});
