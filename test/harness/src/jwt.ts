import { createPrivateKey, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";
import { execa } from "execa";

/** An ES256 key with a self-signed certificate for it, generated fresh for each token server. */
export interface SigningIdentity {
  privateKey: KeyObject;
  /** PEM text for `auth.token.rootcertbundle`. */
  certificatePem: string;
  /** The certificate as base64 DER, as it goes into the JWT header's `x5c`. */
  certificateBase64Der: string;
}

/**
 * Generates a P-256 key and a self-signed certificate. openssl makes both in one call: Node's crypto
 * can make the key but not a certificate, and this saves an npm dependency for ~10 lines of ASN.1.
 */
export async function createSigningIdentity(
  commonName = "polyarch-test-token-issuer",
): Promise<SigningIdentity> {
  const { stdout } = await execa("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "-",
    "-out",
    "-",
    "-subj",
    `/CN=${commonName}`,
    "-days",
    "7",
  ]);
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout)?.[0];
  const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
  if (keyPem === undefined || certificatePem === undefined) {
    throw new Error("openssl req -x509 printed no key or certificate");
  }
  return {
    privateKey: createPrivateKey(keyPem),
    certificatePem: `${certificatePem}\n`,
    certificateBase64Der: new X509Certificate(certificatePem).raw.toString("base64"),
  };
}

/** One entry of the `access` claim. https://distribution.github.io/distribution/spec/auth/jwt/ */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  /** distribution 2.8 reads `aud` as a single string, not an array. */
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: TokenAccess[];
}

export interface SignTokenOptions {
  issuer: string;
  audience: string;
  subject: string;
  access: TokenAccess[];
  /** Seconds until `exp`. */
  expiresIn: number;
  /** @default now */
  now?: Date;
}

/** Signs an ES256 JWT the way distribution 2.8 verifies it: `x5c` header chaining to the root bundle. */
export function signRegistryToken(identity: SigningIdentity, options: SignTokenOptions): string {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const header = { typ: "JWT", alg: "ES256", x5c: [identity.certificateBase64Der] };
  const claims: TokenClaims = {
    iss: options.issuer,
    sub: options.subject,
    aud: options.audience,
    exp: iat + options.expiresIn,
    nbf: iat - 1,
    iat,
    jti: randomUUID(),
    access: options.access,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JWS wants the raw r||s form of an ECDSA signature, not the DER that crypto.sign gives by default.
  const signature = sign("sha256", Buffer.from(signingInput), {
    key: identity.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${signingInput}.${signature.toString("base64url")}`;
}

/** Reads a JWT's header and claims without verifying it, for assertions in tests. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: TokenClaims } {
  const [header, claims] = token.split(".");
  if (header === undefined || claims === undefined) throw new Error("not a JWT: expected three parts");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, "base64url").toString("utf8")) as TokenClaims,
  };
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}
