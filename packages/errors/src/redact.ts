/**
 * Keeping secrets out of output. Three tools for three shapes of leak:
 * - `redactUrl` for URLs that carry credentials in their userinfo or query (`user:pass@`, presigned
 *   S3/Azure/GCS blob redirects, token endpoints),
 * - `redactHeaders` for header maps that end up in logs and errors,
 * - `redactText` for free text of unknown origin (messages of errors we did not make): it finds the
 *   secrets it can recognise by shape (URLs, `user:pass@host`, Authorization values, Bearer/Basic tokens),
 * - `Redactor` for free text (error messages, helper stderr, debug logs) that may contain a secret we
 *   know about because we resolved it ourselves.
 *
 * This module imports nothing: the CLI loads it to print every error, and must start fast.
 */

/** What replaces a redacted header value. */
export const REDACTED = "[redacted]";

/** What replaces a secret inside a URL or free text. */
export const MASK = "***";

/**
 * Secrets shorter than this are not registered with a `Redactor`: masking every "ab" or "1234"... in
 * a log would mangle it while protecting nothing that is worth protecting.
 */
export const MIN_SECRET_LENGTH = 4;

/** Query (and fragment) parameters whose values are credentials; matched case-insensitively. */
const SENSITIVE_PARAMS = [
  "password",
  "passwd",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "client_secret",
  "secret",
  "api_key",
  "apikey",
  "sig",
  "signature",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "x-goog-signature",
  "x-goog-credential",
];

/** Headers whose values are credentials (lower case). */
const SENSITIVE_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-registry-auth",
  "x-registry-config",
  // GitLab API tokens, since polyarch runs in GitLab CI.
  "private-token",
  "job-token",
  "x-amz-security-token",
]);

/** Headers whose values are URLs that may carry presigned credentials (blob redirects). */
const URL_HEADERS = new Set(["location", "content-location"]);

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// `[^/?#]*@` is greedy, so like the WHATWG URL parser it takes the last `@` of the authority: a
// password holding a raw `@` is still removed whole.
const USERINFO = /^((?:[a-z][a-z0-9+.-]*:)?\/\/)[^/?#]*@/i;

const SENSITIVE_PARAM = new RegExp(
  `([?&#;](?:${SENSITIVE_PARAMS.map(escapeRegExp).join("|")})=)[^&#;]*`,
  "gi",
);

/**
 * `url` with its userinfo replaced by `***` and the values of credential-bearing query and fragment
 * parameters (`password`, `token`, `access_token`, `X-Amz-Signature`, `sig`, …) replaced by `***`.
 * Everything else is kept byte for byte, so the result still identifies the request. Works on strings
 * that are not valid URLs too.
 *
 * @example redactUrl("https://bob:hunter22@r.example/v2/?token=abc&n=1") // "https://***@r.example/v2/?token=***&n=1"
 */
export function redactUrl(url: string | URL): string {
  const text = typeof url === "string" ? url : url.href;
  return text.replace(USERINFO, `$1${MASK}@`).replace(SENSITIVE_PARAM, `$1${MASK}`);
}

// A URL with a scheme, up to whitespace or a quote. Trailing punctuation is kept byte for byte.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

// `user:pass@host` without a scheme, starting a word: the password may hold `@` and `:` (the last `@`
// before the host ends it) but not `/`, which starts the path. `name:tag@sha256:…` is a reference with a
// digest, not credentials, so a digest after the `@` (an algorithm, `:`, 32+ characters) never matches.
const USERINFO_IN_TEXT =
  /(?<=^|[\s"'(<[=,;`])[^\s"'/?#@:<>`]+:[^\s"'/?#<>`]*@(?=[a-z0-9[])(?![a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-z0-9=_-]{32,})/gi;

// `Authorization: <scheme> <credentials>` (also `Proxy-Authorization`, JSON and `key=value` forms).
const AUTHORIZATION_IN_TEXT = /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)([^\r\n"',}]+)/gi;

// `Bearer <token>` and `Basic <base64>` outside a header; which words are tokens is decided by `isToken`.
const SCHEME_TOKEN_IN_TEXT = /\b(bearer|basic)(\s+)([a-z0-9._~+/-]+=*)/gi;

/**
 * True when a word after `Bearer`/`Basic` is a credential rather than prose ("a Bearer challenge",
 * "Basic and Bearer"): at least 8 characters with a digit, a token punctuation character, or an
 * uppercase letter after the first. Base64 of `user:pass` and JWTs always qualify.
 */
function isToken(word: string): boolean {
  return word.length >= 8 && (/[\d+/=._~-]/.test(word) || /[A-Z]/.test(word.slice(1)));
}

/**
 * `text` with every secret recognisable by its shape masked: URLs through `redactUrl` (userinfo and
 * credential query parameters), `user:pass@host` without a scheme, `Authorization:` header values
 * (the scheme is kept) and tokens after `Bearer`/`Basic`. For text of unknown origin, such as the
 * message of an error polyarch did not make; secrets with no recognisable shape need a `Redactor`.
 *
 * @example redactText('GET https://r.example/b?X-Amz-Signature=abc failed') // 'GET https://r.example/b?X-Amz-Signature=*** failed'
 */
export function redactText(text: string): string {
  return text
    .replace(URL_IN_TEXT, (url) => redactUrl(url))
    .replace(USERINFO_IN_TEXT, `${MASK}@`)
    .replace(AUTHORIZATION_IN_TEXT, (_match, name: string, value: string) => {
      const scheme = /^([a-z][a-z0-9-]*)\s+\S/i.exec(value)?.[1];
      return `${name}${scheme === undefined ? MASK : `${scheme} ${MASK}`}`;
    })
    .replace(SCHEME_TOKEN_IN_TEXT, (match, scheme: string, space: string, word: string) => {
      // A sentence may end right after the token; the full stop is not part of it.
      const token = word.replace(/\.+$/, "");
      return isToken(token) ? `${scheme}${space}${MASK}${word.slice(token.length)}` : match;
    });
}

/** Header maps as undici, fetch and Node's http module represent them. */
export type HeadersInput =
  | Headers
  | Readonly<Record<string, string | readonly string[] | number | undefined | null>>
  | Iterable<readonly [string, string]>;

/**
 * A plain copy of `headers`, fit for logging: credential headers (`Authorization`,
 * `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Registry-Auth`, …) become `[redacted]` and
 * `Location` URLs go through `redactUrl`. Keys keep their case; `undefined`/`null` values are dropped.
 */
export function redactHeaders(headers: HeadersInput): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of headerEntries(headers)) {
    if (value === undefined || value === null) continue;
    const lower = name.toLowerCase();
    const redactOne = (item: string): string =>
      SENSITIVE_HEADERS.has(lower) ? REDACTED : URL_HEADERS.has(lower) ? redactUrl(item) : item;
    result[name] = Array.isArray(value)
      ? value.map((item) => redactOne(String(item)))
      : redactOne(String(value));
  }
  return result;
}

function headerEntries(headers: HeadersInput): Iterable<readonly [string, unknown]> {
  if (headers instanceof Headers) {
    // Headers joins repeated Set-Cookie values; keep them apart like the wire does.
    const entries: [string, string | string[]][] = [...headers.entries()].filter(
      ([name]) => name !== "set-cookie",
    );
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) entries.push(["set-cookie", cookies]);
    return entries;
  }
  if (Symbol.iterator in headers) return headers as Iterable<readonly [string, string]>;
  return Object.entries(headers);
}

/**
 * Collects the concrete secrets a run has seen (passwords, tokens, `user:pass` pairs) and masks them
 * in any text. Register a secret as soon as it is known, so that everything printed afterwards, including
 * error messages that echo a request, can be scrubbed with `redact`.
 *
 * Each secret is also registered in the forms it travels in: base64 (a `user:pass` pair is what a
 * `Basic` Authorization header carries) and percent-encoding (form bodies, query strings).
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  #pattern: RegExp | undefined;

  /**
   * Registers `secret` (and its base64 and percent-encoded forms). Secrets shorter than
   * `MIN_SECRET_LENGTH` characters, empty strings and `undefined` are ignored.
   */
  add(secret: string | undefined): this {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return this;
    const forms = [
      secret,
      Buffer.from(secret, "utf8").toString("base64"),
      Buffer.from(secret, "utf8").toString("base64url"),
      encodeURIComponent(secret),
    ];
    for (const form of forms) {
      if (!this.#secrets.has(form)) {
        this.#secrets.add(form);
        this.#pattern = undefined;
      }
    }
    return this;
  }

  /** How many strings (secrets and their encoded forms) are masked. */
  get size(): number {
    return this.#secrets.size;
  }

  /** `text` with every registered secret replaced by `***`. */
  redact(text: string): string {
    if (this.#secrets.size === 0) return text;
    this.#pattern ??= new RegExp(
      // Longest first, so a secret that contains another is masked whole rather than leaving a remainder.
      [...this.#secrets]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    return text.replace(this.#pattern, MASK);
  }
}
