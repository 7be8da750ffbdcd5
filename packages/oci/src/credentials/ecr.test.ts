import { isPolyarchError } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { ecrCredentialSource, parseEcrHost } from "./ecr.ts";

const token = (password: string) => Buffer.from(`AWS:${password}`).toString("base64");

describe("parseEcrHost", () => {
  it.each([
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1"],
    ["123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1"],
    ["123456789012.dkr-ecr.us-east-1.amazonaws.com", "us-east-1"],
    ["123456789012.DKR.ECR.eu-west-1.amazonaws.com", "eu-west-1"],
  ])("reads the registry id and region of %s", (host, region) => {
    expect(parseEcrHost(host)).toEqual({ registryId: "123456789012", region });
  });

  it.each([
    "registry.example.com",
    "12345.dkr.ecr.eu-west-1.amazonaws.com",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example",
    "public.ecr.aws",
    "127.0.0.1:5000",
  ])("is not fooled by %s", (host) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });
});

describe("ecrCredentialSource", () => {
  it("never loads the SDK for a registry that is not ECR", async () => {
    let loads = 0;
    const source = ecrCredentialSource({
      loadFetcher: async () => {
        loads += 1;
        throw new Error("unexpected call: the SDK was loaded");
      },
    });
    expect(await source.lookup("registry.gitlab.com")).toBeUndefined();
    expect(loads).toBe(0);
  });

  it("gives the token as AWS/password for the host's region, refreshable", async () => {
    const regions: string[] = [];
    const source = ecrCredentialSource({
      loadFetcher: async () => async (region) => {
        regions.push(region);
        return { authorizationToken: token("pw-1") };
      },
    });
    expect(await source.lookup("123456789012.dkr.ecr.ap-south-1.amazonaws.com")).toEqual({
      credential: { kind: "basic", username: "AWS", password: "pw-1" },
      from: "ECR GetAuthorizationToken (ap-south-1)",
      refreshable: true,
    });
    expect(regions).toEqual(["ap-south-1"]);
  });

  it("refuses a token that is not base64 of user:password", async () => {
    const source = ecrCredentialSource({
      loadFetcher: async () => async () => ({ authorizationToken: "bm90LWEtcGFpcg==" }),
    });
    const error = await source
      .lookup("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
      .catch((e: unknown) => e);
    expect(isPolyarchError(error, "POLYARCH_E_ECR_TOKEN")).toBe(true);
  });
});
