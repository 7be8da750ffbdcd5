import { createCredentialResolver, isPolyarchError, Redactor, RegistryClient } from "@polyarch/oci";
import {
  type EcrEndpoint,
  loopbackLookup,
  pushImage,
  type Registry,
  startEcrEndpoint,
  startRegistry,
  startTlsProxy,
  syntheticImage,
  type TlsProxy,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// The real AWS SDK signs and sends GetAuthorizationToken to a local endpoint that speaks its JSON
// protocol (AWS_ENDPOINT_URL_ECR); the registry is a real one behind TLS under an ECR host name,
// which the client's lookup keeps on loopback. The host check itself is the production one.
const ECR_NAME = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const ACCESS_KEY = "AKIAPOLYARCHTEST0001";
const SECRET_KEY = "polyarch-test-secret-access-key-0001";

let registry: Registry;
let tls: TlsProxy;
let ecr: EcrEndpoint;
const saved: Record<string, string | undefined> = {};
const awsEnv = (): Record<string, string> => ({
  AWS_ENDPOINT_URL_ECR: ecr.url,
  AWS_ACCESS_KEY_ID: ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: SECRET_KEY,
  AWS_REGION: "eu-west-1",
  AWS_EC2_METADATA_DISABLED: "true",
});

beforeAll(async () => {
  registry = await startRegistry({ auth: "token", username: "AWS", password: "first-ecr-password" });
  tls = await startTlsProxy(registry.url, ECR_NAME);
  ecr = await startEcrEndpoint({ password: "first-ecr-password", proxyEndpoint: `https://${tls.host}` });
  for (const repository of ["team/a", "team/b", "team/c"]) {
    await pushImage(registry, repository, "v1", await syntheticImage({ seed: repository }));
  }
  // The SDK's default chain reads the process environment; this file's worker is its own process.
  for (const [key, value] of Object.entries(awsEnv())) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await ecr?.stop();
  await tls?.stop();
  await registry?.stop();
});

beforeEach(() => {
  ecr.requests.length = 0;
  ecr.failWith(undefined);
  ecr.setPassword("first-ecr-password");
  registry.tokenServer?.addUser("AWS", "first-ecr-password");
});

function ecrClient() {
  const redactor = new Redactor();
  const resolver = createCredentialResolver(
    { redactor },
    { env: {}, readFile: async () => undefined, homeDir: () => "/nonexistent", runHelper: unexpected },
  );
  const client = new RegistryClient({
    credentials: (host) => resolver.get(host),
    refreshCredentials: resolver,
    ca: tls.certificatePem,
    lookup: loopbackLookup,
    retry: { retries: 0 },
    scrubber: redactor,
  });
  return { client, resolver, redactor };
}

async function unexpected(): Promise<never> {
  throw new Error("unexpected call: no credential helper is configured");
}

describe("ECR credentials through the AWS SDK", () => {
  it("signs GetAuthorizationToken with the default chain's keys and reads the registry with the token", async () => {
    const { client, resolver } = ecrClient();
    try {
      const head = await client.repository(tls.host, "team/a").headManifest("v1");
      expect(head?.digest).toMatch(/^sha256:/);
      expect(ecr.requests).toEqual([
        expect.objectContaining({ accessKeyId: ACCESS_KEY, region: "eu-west-1", status: 200 }),
      ]);
      expect((await resolver.lookup(tls.host))?.from).toBe("ECR GetAuthorizationToken (eu-west-1)");
    } finally {
      await client.close();
    }
  });

  it("fetches a new token once when the password rotates mid-run, and completes", async () => {
    const { client } = ecrClient();
    try {
      expect(await client.repository(tls.host, "team/a").headManifest("v1")).toBeDefined();
      // The 12-hour token expires: ECR and the registry both move to a new password.
      ecr.setPassword("second-ecr-password");
      registry.tokenServer?.addUser("AWS", "second-ecr-password");
      expect(await client.repository(tls.host, "team/b").headManifest("v1")).toBeDefined();
      expect(ecr.requests.map((r) => r.status)).toEqual([200, 200]);
      // And the new one is kept: another repository needs no third token.
      expect(await client.repository(tls.host, "team/c").headManifest("v1")).toBeDefined();
      expect(ecr.requests).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it("fails once, naming authentication, when even the new token is refused", async () => {
    const { client } = ecrClient();
    try {
      await client.repository(tls.host, "team/a").headManifest("v1");
      registry.tokenServer?.addUser("AWS", "a-password-ecr-does-not-know");
      const error = await client
        .repository(tls.host, "team/b")
        .headManifest("v1")
        .catch((caught: unknown) => caught);
      expect(isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED")).toBe(true);
      expect(ecr.requests).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it("turns an AWS error into POLYARCH_E_ECR_TOKEN without the secret key", async () => {
    ecr.failWith({
      status: 400,
      type: "AccessDeniedException",
      message: "not authorized to GetAuthorizationToken",
    });
    const { client, redactor } = ecrClient();
    try {
      const error = await client
        .repository(tls.host, "team/a")
        .headManifest("v1")
        .catch((caught: unknown) => caught);
      expect(isPolyarchError(error, "POLYARCH_E_ECR_TOKEN")).toBe(true);
      const text = `${(error as Error).message} ${redactor.redact(String((error as Error).message))}`;
      expect(text).toContain("AccessDeniedException");
      expect(text).toContain(ECR_NAME);
      expect(text).not.toContain(SECRET_KEY);
    } finally {
      await client.close();
    }
  });
});
