import { isPolyarchError } from "@polyarch/errors";
import {
  ECR_TEST_ACCESS_KEY,
  ECR_TEST_NAME,
  ECR_TEST_SECRET_KEY,
  type EcrRegistry,
  ecrClient,
  pushImage,
  setProcessEnv,
  startEcrRegistry,
  syntheticImage,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// The real AWS SDK signs and sends GetAuthorizationToken to a local endpoint that speaks its JSON
// protocol (AWS_ENDPOINT_URL_ECR); the registry is a real one behind TLS under an ECR host name,
// which the client's lookup keeps on loopback. The host check itself is the production one.
let ecr: EcrRegistry;
let restoreEnv: () => void;

beforeAll(async () => {
  ecr = await startEcrRegistry();
  for (const repository of ["team/a", "team/b", "team/c"]) {
    await pushImage(ecr.registry, repository, "v1", await syntheticImage({ seed: repository }));
  }
  // The SDK's default chain reads the process environment; this file's worker is its own process.
  restoreEnv = setProcessEnv(ecr.awsEnv);
});

afterAll(async () => {
  restoreEnv?.();
  await ecr?.stop();
});

beforeEach(() => {
  ecr.endpoint.requests.length = 0;
  ecr.endpoint.failWith(undefined);
  ecr.rotate("first-ecr-password");
});

describe("ECR credentials through the AWS SDK", () => {
  it("signs GetAuthorizationToken with the default chain's keys and reads the registry with the token", async () => {
    const { client, resolver } = ecrClient(ecr);
    try {
      const head = await client.repository(ecr.host, "team/a").headManifest("v1");
      expect(head?.digest).toMatch(/^sha256:/);
      expect(ecr.endpoint.requests).toEqual([
        expect.objectContaining({ accessKeyId: ECR_TEST_ACCESS_KEY, region: "eu-west-1", status: 200 }),
      ]);
      expect((await resolver.lookup(ecr.host))?.from).toBe("ECR GetAuthorizationToken (eu-west-1)");
    } finally {
      await client.close();
    }
  });

  it("fetches a new token once when the password rotates mid-run, and completes", async () => {
    const { client } = ecrClient(ecr);
    try {
      expect(await client.repository(ecr.host, "team/a").headManifest("v1")).toBeDefined();
      // The 12-hour token expires: ECR and the registry both move to a new password.
      ecr.rotate("second-ecr-password");
      expect(await client.repository(ecr.host, "team/b").headManifest("v1")).toBeDefined();
      expect(ecr.endpoint.requests.map((r) => r.status)).toEqual([200, 200]);
      // And the new one is kept: another repository needs no third token.
      expect(await client.repository(ecr.host, "team/c").headManifest("v1")).toBeDefined();
      expect(ecr.endpoint.requests).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it("fails once, naming authentication, when even the new token is refused", async () => {
    const { client } = ecrClient(ecr);
    try {
      await client.repository(ecr.host, "team/a").headManifest("v1");
      ecr.registry.tokenServer?.addUser("AWS", "a-password-ecr-does-not-know");
      const error = await client
        .repository(ecr.host, "team/b")
        .headManifest("v1")
        .catch((caught: unknown) => caught);
      expect(isPolyarchError(error, "POLYARCH_E_UNAUTHORIZED")).toBe(true);
      expect(ecr.endpoint.requests).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it("turns an AWS error into POLYARCH_E_ECR_TOKEN without the secret key", async () => {
    ecr.endpoint.failWith({
      status: 400,
      type: "AccessDeniedException",
      message: "not authorized to GetAuthorizationToken",
    });
    const { client } = ecrClient(ecr);
    try {
      const error = await client
        .repository(ecr.host, "team/a")
        .headManifest("v1")
        .catch((caught: unknown) => caught);
      expect(isPolyarchError(error, "POLYARCH_E_ECR_TOKEN")).toBe(true);
      const text = (error as Error).message;
      expect(text).toContain("AccessDeniedException");
      expect(text).toContain(ECR_TEST_NAME);
      expect(text).not.toContain(ECR_TEST_SECRET_KEY);
    } finally {
      await client.close();
    }
  });
});
