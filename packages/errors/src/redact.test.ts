import { describe, expect, it } from "vitest";
import { MASK, REDACTED, Redactor, redactHeaders, redactText, redactUrl } from "./redact.ts";

describe("redactUrl", () => {
  it("replaces userinfo, keeping the rest of the URL", () => {
    expect(redactUrl("https://bob:hunter22@registry.example.com:5000/v2/lib/app/manifests/1.0")).toBe(
      "https://***@registry.example.com:5000/v2/lib/app/manifests/1.0",
    );
    expect(redactUrl("http://token-only@localhost/")).toBe("http://***@localhost/");
  });

  it("removes a password that contains a raw @ whole", () => {
    const redacted = redactUrl("https://bob:p@ss@word@registry.example.com/v2/");
    expect(redacted).toBe("https://***@registry.example.com/v2/");
  });

  it("leaves an @ in the path alone", () => {
    expect(redactUrl("https://registry.example.com/v2/app/manifests/sha256@abc")).toBe(
      "https://registry.example.com/v2/app/manifests/sha256@abc",
    );
  });

  it("accepts URL objects and scheme-relative URLs", () => {
    expect(redactUrl(new URL("https://u:secretpw@r.example/x"))).toBe("https://***@r.example/x");
    expect(redactUrl("//u:secretpw@r.example/x")).toBe("//***@r.example/x");
  });

  it("redacts credential query parameters case-insensitively and keeps the others byte for byte", () => {
    const url =
      "https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101" +
      "&X-Amz-Date=20240101T000000Z&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FwoG&a=b+c";
    expect(redactUrl(url)).toBe(
      "https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***" +
        "&X-Amz-Date=20240101T000000Z&X-Amz-Signature=***&X-Amz-Security-Token=***&a=b+c",
    );
  });

  it.each([
    ["https://auth.example/token?service=r&scope=repository:a:pull&password=hunter22", "password=***"],
    ["https://auth.example/token?token=abcdef&x=1", "token=***"],
    ["https://auth.example/cb#access_token=abcdef&state=1", "access_token=***"],
    ["https://auth.example/token?refresh_token=abcdef", "refresh_token=***"],
    ["https://blob.core.windows.net/c/b?sv=2020&sig=abc%2Bdef&se=2030", "sig=***"],
  ])("redacts %s", (url, expected) => {
    const redacted = redactUrl(url);
    expect(redacted).toContain(expected);
    expect(redacted).not.toMatch(/hunter22|abcdef|abc%2Bdef/);
  });

  it("does not touch parameters that merely contain a sensitive name", () => {
    const url = "https://r.example/v2/?notoken=1&tokens=2&last=n";
    expect(redactUrl(url)).toBe(url);
  });

  it("works on strings that are not valid URLs", () => {
    expect(redactUrl("not a url?token=abcd")).toBe("not a url?token=***");
  });
});

describe("redactText", () => {
  const DIGEST = `sha256:${"a".repeat(64)}`;

  it.each([
    [
      "GET https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=secretsig&x=1 failed: ECONNRESET",
      "GET https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=***&x=1 failed: ECONNRESET",
    ],
    [
      "fetch(https://bob:hunter22@registry.example.com/v2/) and (http://u:hunter22@localhost:5000/x).",
      "fetch(https://***@registry.example.com/v2/) and (http://***@localhost:5000/x).",
    ],
    [
      '"bob:hunter22@registry.example.com/app:1" is not valid',
      '"***@registry.example.com/app:1" is not valid',
    ],
    ["pull bob:p@ss:w0rd@localhost:5000/app failed", "pull ***@localhost:5000/app failed"],
    ["login x-access-token:ghp_secret@ghcr.io", "login ***@ghcr.io"],
    ["Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "Authorization: Bearer ***"],
    [
      '{"authorization":"Basic Ym9iOmh1bnRlcjIy","accept":"*/*"}',
      '{"authorization":"Basic ***","accept":"*/*"}',
    ],
    ["proxy-authorization=opaquevalue", "proxy-authorization=***"],
    ["sent Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln to the registry", "sent Bearer *** to the registry"],
    ["header was basic Ym9iOmh1bnRlcjIy.", "header was basic ***."],
  ])("masks %j", (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each([
    `pulled alpine:3.20@${DIGEST} and ghcr.io/team/app:1@${DIGEST}`,
    "localhost:5000/app:1 and 127.0.0.1:5000/a@b/c",
    "the registry sent a Bearer challenge without a realm",
    "polyarch supports Basic and Bearer token authentication; Basic Authentication failed",
    "unauthorized: authentication required",
    "connect ECONNREFUSED 127.0.0.1:5000 (at 12:30:01)",
    "https://registry.example.com/v2/app/manifests/1.0?n=10",
  ])("leaves %j alone", (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe("redactHeaders", () => {
  it("redacts credential headers in a plain object, keeping key case and other values", () => {
    expect(
      redactHeaders({
        Authorization: "Basic dXNlcjpwYXNz",
        "proxy-authorization": "Bearer abc",
        Cookie: "session=1",
        "X-Registry-Auth": "eyJ1c2VybmFtZSI6ImEifQ==",
        "PRIVATE-TOKEN": "glpat-123",
        "set-cookie": ["a=1", "b=2"],
        Accept: "application/vnd.oci.image.index.v1+json",
        "content-length": 12,
        missing: undefined,
      }),
    ).toEqual({
      Authorization: REDACTED,
      "proxy-authorization": REDACTED,
      Cookie: REDACTED,
      "X-Registry-Auth": REDACTED,
      "PRIVATE-TOKEN": REDACTED,
      "set-cookie": [REDACTED, REDACTED],
      Accept: "application/vnd.oci.image.index.v1+json",
      "content-length": "12",
    });
  });

  it("redacts a Headers instance, keeping repeated Set-Cookie values apart", () => {
    const headers = new Headers({ authorization: "Bearer abc", "docker-content-digest": "sha256:1" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    expect(redactHeaders(headers)).toEqual({
      authorization: REDACTED,
      "docker-content-digest": "sha256:1",
      "set-cookie": [REDACTED, REDACTED],
    });
  });

  it("accepts entry pairs and redacts presigned Location URLs", () => {
    const result = redactHeaders([
      ["Location", "https://s3.example/blob?X-Amz-Signature=feedface&x=1"],
      ["Authorization", "Bearer abc"],
    ]);
    expect(result).toEqual({
      Location: "https://s3.example/blob?X-Amz-Signature=***&x=1",
      Authorization: REDACTED,
    });
  });
});

describe("Redactor", () => {
  it("masks every occurrence of a registered secret", () => {
    const redactor = new Redactor().add("hunter22");
    expect(redactor.redact("password hunter22 was rejected; retried hunter22")).toBe(
      `password ${MASK} was rejected; retried ${MASK}`,
    );
  });

  it("masks the base64 form of a user:pass pair, as a Basic header carries it", () => {
    const redactor = new Redactor().add("bob:hunter22");
    const header = `Authorization: Basic ${Buffer.from("bob:hunter22").toString("base64")}`;
    expect(redactor.redact(header)).toBe(`Authorization: Basic ${MASK}`);
  });

  it("masks the percent-encoded form, as a form body or query carries it", () => {
    const redactor = new Redactor().add("p@ss/w0rd+");
    expect(redactor.redact("grant_type=password&password=p%40ss%2Fw0rd%2B")).toBe(
      `grant_type=password&password=${MASK}`,
    );
  });

  it("masks a secret that contains another secret whole", () => {
    const redactor = new Redactor().add("token").add("token-with-suffix");
    expect(redactor.redact("got token-with-suffix and token")).toBe(`got ${MASK} and ${MASK}`);
  });

  it("treats regular expression characters in secrets literally", () => {
    const redactor = new Redactor().add("a.b*c$(d)");
    expect(redactor.redact("xa.b*c$(d)x aXbbc")).toBe(`x${MASK}x aXbbc`);
  });

  it("ignores secrets shorter than 4 characters and undefined", () => {
    const redactor = new Redactor().add("abc").add("").add(undefined);
    expect(redactor.size).toBe(0);
    expect(redactor.redact("abc abc")).toBe("abc abc");
    expect(new Redactor().add("abcd").redact("abcd abc")).toBe(`${MASK} abc`);
  });

  it("picks up secrets added after an earlier redact call", () => {
    const redactor = new Redactor().add("first-secret");
    expect(redactor.redact("first-secret second-secret")).toBe(`${MASK} second-secret`);
    redactor.add("second-secret");
    expect(redactor.redact("first-secret second-secret")).toBe(`${MASK} ${MASK}`);
  });

  it("returns text unchanged when nothing is registered", () => {
    expect(new Redactor().redact("nothing to hide")).toBe("nothing to hide");
  });
});
