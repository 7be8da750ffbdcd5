import { type ErrorCode, PolyarchError } from "@polyarch/errors";
import type { Dispatcher } from "undici";

/** Most a registry error body is read for its message; the rest is dropped. */
const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * Turns an unexpected registry response into a PolyarchError, using the registry's error codes
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes).
 */
export async function responseError(
  response: Dispatcher.ResponseData,
  what: string,
  scrub: (text: string) => string,
  notFound: ErrorCode = "POLYARCH_E_REPOSITORY_UNKNOWN",
): Promise<PolyarchError> {
  const details = await readErrors(response);
  const status = response.statusCode;
  const codes = details.map((d) => d.code).filter(Boolean);
  const suffix =
    details.length > 0
      ? `: ${details.map((d) => [d.code, d.message].filter(Boolean).join(" ")).join("; ")}`
      : "";
  const message = scrub(`${what} failed with HTTP ${status}${suffix}`);
  if (status === 401) {
    return new PolyarchError("POLYARCH_E_UNAUTHORIZED", message, {
      hint: "check the credentials for this registry (docker login, CI_REGISTRY_* variables, or --username/--password)",
    });
  }
  if (status === 403 || codes.includes("DENIED")) {
    return new PolyarchError("POLYARCH_E_DENIED", message, {
      hint: "the credentials are valid but lack permission for this repository and action",
    });
  }
  if (status === 404) {
    return new PolyarchError(notFoundCode(codes) ?? notFound, message, {
      hint: "check the repository, tag or digest",
    });
  }
  if (status === 429 || codes.includes("TOOMANYREQUESTS")) {
    return new PolyarchError("POLYARCH_E_RATE_LIMITED", message, {
      hint: "the registry's rate limit was reached and retries did not outlast it; authenticate or retry later",
    });
  }
  if (status >= 500) {
    return new PolyarchError("POLYARCH_E_REGISTRY_UNAVAILABLE", message, {
      hint: "the registry is failing; retries did not help, try again later",
    });
  }
  return new PolyarchError("POLYARCH_E_REGISTRY", message, { hint: "the registry refused the request" });
}

/** The registry's own word for what is missing wins over the caller's guess. */
function notFoundCode(codes: Array<string | undefined>): ErrorCode | undefined {
  if (codes.includes("BLOB_UNKNOWN")) return "POLYARCH_E_BLOB_UNKNOWN";
  if (codes.includes("MANIFEST_UNKNOWN")) return "POLYARCH_E_MANIFEST_UNKNOWN";
  if (codes.includes("NAME_UNKNOWN")) return "POLYARCH_E_REPOSITORY_UNKNOWN";
  return undefined;
}

async function readErrors(
  response: Dispatcher.ResponseData,
): Promise<Array<{ code?: string; message?: string }>> {
  let text = "";
  try {
    for await (const chunk of response.body) {
      if (text.length < ERROR_BODY_LIMIT) text += String(chunk);
    }
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    return (parsed.errors ?? []).map((e) => ({
      code: typeof e.code === "string" ? e.code : undefined,
      message: typeof e.message === "string" ? e.message : undefined,
    }));
  } catch {
    return [];
  }
}
