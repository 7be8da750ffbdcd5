import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/** What an interceptor saw from one attempt: a response status and headers, or an error before any response. */
export type Outcome =
  | { kind: "response"; status: number; headers: IncomingHttpHeaders }
  | { kind: "error"; error: Error };

export interface ReplayPolicy {
  /** Decides synchronously whether this outcome is swallowed and the request sent again. */
  shouldReplay(outcome: Outcome, attempt: number): boolean;
  /** Prepares the next attempt (wait, fetch a token) and returns the options to send it with. */
  nextAttempt(
    outcome: Outcome,
    attempt: number,
    opts: Dispatcher.DispatchOptions,
  ): Promise<Dispatcher.DispatchOptions>;
  /**
   * Responses whose Content-Length is at most this many bytes are held until their body is complete,
   * so a body that breaks off (a reset, a truncation) is an error before any response and can be
   * replayed. Larger and unsized bodies stream through as they arrive. @default 0
   */
  holdBodiesUpTo?: number;
}

/** A request whose body can be sent twice: none, a string or bytes. Streams are sent once. */
export function isReplayable(opts: Dispatcher.DispatchOptions): boolean {
  const body = opts.body;
  return body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
}

/**
 * Dispatches `opts`, and when the policy says so swallows the outcome (draining the body) and sends
 * the request again. The caller's handler sees exactly one request: the last attempt's response.
 */
export function dispatchWithReplay(
  dispatch: Dispatcher.Dispatch,
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
  policy: ReplayPolicy,
): boolean {
  let requestStarted = false;
  const attemptOnce = (current: Dispatcher.DispatchOptions, attempt: number): boolean => {
    let swallowed: Outcome | undefined;
    let delivered = false;
    let held:
      | { status: number; headers: IncomingHttpHeaders; statusMessage: string | undefined; chunks: Buffer[] }
      | undefined;
    const replay = (outcome: Outcome) => {
      policy.nextAttempt(outcome, attempt, current).then(
        (next) => attemptOnce(next, attempt + 1),
        (error: unknown) =>
          handler.onResponseError?.(
            detachedController,
            error instanceof Error ? error : new Error(String(error)),
          ),
      );
    };
    return dispatch(current, {
      onRequestStart(controller, context) {
        if (!requestStarted) {
          requestStarted = true;
          handler.onRequestStart?.(controller, context);
        }
      },
      onRequestUpgrade(controller, statusCode, headers, socket) {
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
      },
      onResponseStart(controller, status, headers, statusMessage) {
        const outcome: Outcome = { kind: "response", status, headers };
        if (isReplayable(current) && policy.shouldReplay(outcome, attempt)) {
          swallowed = outcome;
          return;
        }
        if (isReplayable(current) && Number(headers["content-length"]) <= (policy.holdBodiesUpTo ?? 0)) {
          held = { status, headers, statusMessage, chunks: [] };
          return;
        }
        delivered = true;
        handler.onResponseStart?.(controller, status, headers, statusMessage);
      },
      onResponseData(controller, chunk) {
        if (held !== undefined) held.chunks.push(chunk);
        else if (swallowed === undefined) handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd(controller, trailers) {
        if (swallowed !== undefined) {
          replay(swallowed);
          return;
        }
        if (held !== undefined) {
          delivered = true;
          handler.onResponseStart?.(controller, held.status, held.headers, held.statusMessage);
          for (const chunk of held.chunks) handler.onResponseData?.(controller, chunk);
        }
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError(controller, error) {
        if (swallowed !== undefined) {
          // The body of a response we were discarding broke off: the replay goes ahead regardless.
          replay(swallowed);
          return;
        }
        const outcome: Outcome = { kind: "error", error };
        if (!delivered && isReplayable(current) && policy.shouldReplay(outcome, attempt)) replay(outcome);
        else handler.onResponseError?.(controller, error);
      },
    });
  };
  return attemptOnce(opts, 0);
}

/** Handed to a handler for errors raised outside any dispatch (a failed token fetch, say). */
export const detachedController: Dispatcher.DispatchController = {
  abort() {},
  pause() {},
  resume() {},
  get aborted() {
    return false;
  },
  get paused() {
    return false;
  },
  get reason() {
    return null;
  },
};
