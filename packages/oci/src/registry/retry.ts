import { setTimeout as sleep } from "node:timers/promises";
import { redactUrl } from "@polyarch/errors";
import type { Dispatcher } from "undici";
import { dispatchWithReplay, type Outcome } from "./replay.ts";

export interface RetryOptions {
  /** Attempts after the first. @default 4 */
  retries?: number;
  /** First backoff step; each further attempt doubles it, with full jitter. @default 250 */
  baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included. @default 30000 */
  maxDelayMs?: number;
  /** Told about every retry, with the reason and the wait. */
  onRetry?: (event: {
    method: string;
    /** Redacted: below the redirect interceptor this is often a presigned blob URL (`X-Amz-Signature`, `sig`). */
    url: string;
    reason: string;
    attempt: number;
    delayMs: number;
  }) => void;
  /** Injected for tests. */
  random?: () => number;
  /** Cuts a wait between attempts short when it fires (the command was interrupted). */
  signal?: AbortSignal;
}

/**
 * Manifests, tag lists, token and error responses are small: they are read whole before the caller
 * sees them, so one whose body breaks off is retried. Blobs stream, and their copies restart instead.
 */
const HOLD_BODIES_UP_TO = 4 * 1024 * 1024;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRY_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * Retries connection errors, 429 and 5xx with exponential backoff and jitter, honouring Retry-After.
 * Not undici's interceptors.retry: it has no jitter (parallel sync items would retry in lockstep) and
 * resumes broken bodies only by Range, which manifest and token responses do not offer; replay.ts
 * holds those small bodies whole, and serves the auth interceptor's 401 → token → resend as well.
 */
export function retryInterceptor(options: RetryOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  return (dispatch) => (opts, handler) =>
    dispatchWithReplay(dispatch, opts, handler, {
      holdBodiesUpTo: HOLD_BODIES_UP_TO,
      shouldReplay: (outcome, attempt) => attempt < retries && isRetriable(outcome),
      async nextAttempt(outcome, attempt, current) {
        const backoff = base * 2 ** attempt;
        const jittered = backoff / 2 + random() * (backoff / 2);
        const retryAfter =
          outcome.kind === "response" ? parseRetryAfter(outcome.headers["retry-after"]) : undefined;
        const delayMs = Math.min(max, retryAfter ?? jittered);
        options.onRetry?.({
          method: current.method,
          url: redactUrl(`${current.origin ?? ""}${current.path}`),
          reason: outcome.kind === "response" ? `HTTP ${outcome.status}` : errorCode(outcome.error),
          attempt: attempt + 1,
          delayMs,
        });
        await sleep(delayMs, undefined, options.signal && { signal: options.signal });
        return current;
      },
    });
}

function isRetriable(outcome: Outcome): boolean {
  if (outcome.kind === "response") return RETRY_STATUSES.has(outcome.status);
  return RETRY_ERRORS.has(errorCode(outcome.error));
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}

/** Retry-After in milliseconds, from delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
