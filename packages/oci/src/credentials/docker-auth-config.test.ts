import { isPolyarchError, Redactor } from "@polyarch/errors";
import { describe, expect, it } from "vitest";
import { createCredentialResolver } from "./resolver.ts";
import type { CredentialIO, Env } from "./types.ts";

const SECRET = "dac-s3cr3t";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const unexpected = (what: string) => async (): Promise<never> => {
  throw new Error(`unexpected call: ${what}`);
};

function io(env: Env): CredentialIO {
  return {
    env,
    homeDir: () => "/home/me",
    readFile: async () => undefined,
    runHelper: unexpected("runHelper"),
  };
}

describe("DOCKER_AUTH_CONFIG", () => {
  const config = JSON.stringify({ auths: { "registry.example.com": { auth: b64(`deploy:${SECRET}`) } } });

  it("gives the auths entry of GitLab's variable, before the CI_REGISTRY variables", async () => {
    const resolver = createCredentialResolver(
      { redactor: new Redactor() },
      io({
        DOCKER_AUTH_CONFIG: config,
        CI_REGISTRY: "registry.example.com",
        CI_REGISTRY_USER: "ci",
        CI_REGISTRY_PASSWORD: "ci-password",
      }),
    );
    expect(await resolver.lookup("registry.example.com")).toEqual({
      credential: { kind: "basic", username: "deploy", password: SECRET },
      from: 'DOCKER_AUTH_CONFIG (auths["registry.example.com"])',
    });
  });

  it("leaves other hosts to the next sources", async () => {
    const resolver = createCredentialResolver(
      { redactor: new Redactor() },
      io({ DOCKER_AUTH_CONFIG: config }),
    );
    expect(await resolver.lookup("other.example.com")).toBeUndefined();
  });

  it("is an input error naming the variable, not its content, when it is not JSON", async () => {
    const resolver = createCredentialResolver(
      { redactor: new Redactor() },
      io({ DOCKER_AUTH_CONFIG: `{"auths": {"r": {"auth": ${SECRET}` }),
    );
    const error = await resolver.lookup("r.example").catch((e: unknown) => e);
    expect(isPolyarchError(error, "POLYARCH_E_CREDENTIAL_CONFIG")).toBe(true);
    expect((error as Error).message).toContain("DOCKER_AUTH_CONFIG");
    expect((error as Error).message).not.toContain(SECRET);
  });
});
