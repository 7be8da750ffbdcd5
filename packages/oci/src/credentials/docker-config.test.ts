import type { PolyarchError } from "@polyarch/errors";
import { thrown } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { authEntryCredential, parseDockerConfig } from "./docker-config.ts";

const FILE = "/home/me/.docker/config.json";
const SECRET = "s3cr3t-pa55word";
const b64 = (text: string) => Buffer.from(text).toString("base64");

function expectNoSecret(error: PolyarchError): void {
  const text = `${error.message}\n${error.hint}`;
  for (const form of [SECRET, b64(`bob:${SECRET}`), SECRET.slice(0, 6)]) expect(text).not.toContain(form);
}

describe("parseDockerConfig", () => {
  it("reads auths, credHelpers and credsStore and ignores Docker's other settings", () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: { "https://index.docker.io/v1/": { auth: b64(`bob:${SECRET}`), email: "bob@example.com" } },
        credHelpers: { "123.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" },
        credsStore: "desktop",
        psFormat: "table {{.ID}}",
        proxies: { default: { httpProxy: "http://proxy:3128" } },
      }),
      FILE,
    );
    expect(config.auths?.["https://index.docker.io/v1/"]?.auth).toBe(b64(`bob:${SECRET}`));
    expect(config.credHelpers).toEqual({ "123.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" });
    expect(config.credsStore).toBe("desktop");
  });

  it("treats an empty file as an empty config", () => {
    expect(parseDockerConfig("  \n", FILE)).toEqual({});
  });

  it("tolerates null sections, as some tools write them", () => {
    expect(parseDockerConfig('{"auths": null, "credsStore": null}', FILE).auths).toBeNull();
  });

  it.each([
    [`{"auths": {"r.example": {"auth": ${SECRET}}}}`, "unquoted secret (V8 quotes a snippet of the input)"],
    [`{"auths": {"r.example": {"auth": "${b64(`bob:${SECRET}`)}" "x": 1}}}`, "missing comma"],
    [`{"auths": {"r.example": {"auth": "${SECRET}"}}`, "truncated"],
    [`{"auths": {"r.example": {"auth": "${SECRET}"}}}} ${SECRET}`, "trailing garbage"],
  ])("rejects malformed JSON naming the file and the problem, not the content (%#: %s)", (text) => {
    const error = thrown(() => parseDockerConfig(text, FILE));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.kind).toBe("input");
    expect(error.message).toMatch(new RegExp(`^${FILE} is not valid JSON: \\w`));
    expectNoSecret(error);
  });

  it("says where a malformed file went wrong", () => {
    const error = thrown(() => parseDockerConfig('{\n  "auths": {,\n}', FILE));
    expect(error.message).toContain("line 2");
  });

  it("collects every schema problem with its path", () => {
    const error = thrown(() =>
      parseDockerConfig(
        JSON.stringify({
          auths: { "r.example": { auth: 42 }, "x.example": "nope" },
          credsStore: ["desktop"],
        }),
        FILE,
      ),
    );
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('auths["r.example"].auth');
    expect(error.message).toContain('auths["x.example"]');
    expect(error.message).toContain("credsStore");
  });

  it("rejects a config that is not an object", () => {
    expect(thrown(() => parseDockerConfig('"just a string"', FILE)).message).toContain("(top level)");
  });
});

describe("authEntryCredential", () => {
  it("decodes auth as base64 of user:pass, splitting at the first colon", () => {
    expect(authEntryCredential({ auth: b64(`bob:${SECRET}:with:colons`) }, FILE, "r.example")).toEqual({
      kind: "basic",
      username: "bob",
      password: `${SECRET}:with:colons`,
    });
  });

  it("reads separate username and password fields", () => {
    expect(authEntryCredential({ username: "bob", password: SECRET }, FILE, "r.example")).toEqual({
      kind: "basic",
      username: "bob",
      password: SECRET,
    });
  });

  it("prefers auth over separate fields, as Docker does", () => {
    const entry = { auth: b64(`alice:${SECRET}`), username: "bob", password: "other-password" };
    expect(authEntryCredential(entry, FILE, "r.example")).toMatchObject({
      username: "alice",
      password: SECRET,
    });
  });

  it("turns identitytoken into an identity-token credential with the username if there is one", () => {
    expect(authEntryCredential({ auth: b64("bob:"), identitytoken: "refresh-token" }, FILE, "k")).toEqual({
      kind: "identity-token",
      token: "refresh-token",
      username: "bob",
    });
    expect(authEntryCredential({ username: "bob", identitytoken: "refresh-token" }, FILE, "k")).toEqual({
      kind: "identity-token",
      token: "refresh-token",
      username: "bob",
    });
    expect(authEntryCredential({ username: "<token>", identitytoken: "refresh-token" }, FILE, "k")).toEqual({
      kind: "identity-token",
      token: "refresh-token",
    });
  });

  it("prefers registrytoken over everything else", () => {
    expect(
      authEntryCredential(
        { auth: b64(`bob:${SECRET}`), identitytoken: "id", registrytoken: "bearer" },
        FILE,
        "k",
      ),
    ).toEqual({ kind: "registry-token", token: "bearer" });
  });

  it("finds nothing in an entry without credentials (a credsStore placeholder)", () => {
    expect(authEntryCredential({}, FILE, "https://index.docker.io/v1/")).toBeUndefined();
    expect(authEntryCredential({ auth: "" }, FILE, "k")).toBeUndefined();
    expect(authEntryCredential({ username: "bob" }, FILE, "k")).toBeUndefined();
  });

  it.each([
    ["not base64", `${SECRET}!!`],
    ["no colon", b64(SECRET)],
    ["empty username", b64(`:${SECRET}`)],
  ])("rejects an auth with %s, naming the file and key but not the value", (_, auth) => {
    const error = thrown(() => authEntryCredential({ auth }, FILE, "registry.example.com"));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('auths["registry.example.com"].auth');
    expect(error.message).not.toContain(auth);
    expectNoSecret(error);
  });
});
