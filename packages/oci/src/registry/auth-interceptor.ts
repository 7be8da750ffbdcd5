import type { Dispatcher } from "undici";
import type { AuthManager } from "./auth.ts";
import { parseChallenges } from "./challenge.ts";
import { detachedController, dispatchWithReplay } from "./replay.ts";
import { scopesForRequest } from "./scopes.ts";

/**
 * Adds Authorization to registry requests and answers challenges: a 401 is answered once with a
 * token or Basic credentials, and a 401/403 naming `insufficient_scope` once with the scope it asked
 * for. Requests that already carry Authorization pass untouched.
 */
export function authInterceptor(auth: AuthManager): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    if (hasAuthorization(opts.headers)) return dispatch(opts, handler);
    const host = new URL(String(opts.origin)).host;
    const scopes = scopesForRequest(opts.method, opts.path);
    // Each kind of answer is given at most once per request: a token sent up front that meets
    // insufficient_scope has had its one scope retry, whichever attempt that happened on.
    let answered = false;
    let scopeRetried = false;
    let refreshed = false;
    let refreshing = false;
    auth.headerFor(host, scopes).then(
      (header) =>
        dispatchWithReplay(dispatch, withAuthorization(opts, header), handler, {
          shouldReplay(outcome) {
            if (outcome.kind !== "response" || (outcome.status !== 401 && outcome.status !== 403))
              return false;
            const challenges = parseChallenges(outcome.headers["www-authenticate"]);
            if (challenges.some((c) => c.params.error === "insufficient_scope")) {
              if (scopeRetried) return false;
              scopeRetried = true;
              return true;
            }
            if (outcome.status !== 401 || !auth.canAnswer(challenges)) return false;
            if (!answered) {
              answered = true;
              return true;
            }
            if (refreshed || !auth.canRefresh(host)) return false;
            refreshed = true;
            refreshing = true;
            return true;
          },
          async nextAttempt(outcome, _attempt, current) {
            if (refreshing) {
              refreshing = false;
              await auth.refresh(host);
            }
            const headers = outcome.kind === "response" ? outcome.headers["www-authenticate"] : undefined;
            return withAuthorization(current, await auth.answer(host, headers, scopes));
          },
        }),
      (error: unknown) =>
        handler.onResponseError?.(
          detachedController,
          error instanceof Error ? error : new Error(String(error)),
        ),
    );
    return true;
  };
}

type Headers = Dispatcher.DispatchOptions["headers"];

function hasAuthorization(headers: Headers): boolean {
  if (!headers) return false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === "authorization") return true;
    return false;
  }
  return Object.keys(headers).some((key) => key.toLowerCase() === "authorization");
}

function withAuthorization(
  opts: Dispatcher.DispatchOptions,
  header: string | undefined,
): Dispatcher.DispatchOptions {
  if (header === undefined) return opts;
  const headers = { ...(opts.headers as Record<string, string> | undefined) };
  for (const key of Object.keys(headers)) if (key.toLowerCase() === "authorization") delete headers[key];
  headers.authorization = header;
  return { ...opts, headers };
}
