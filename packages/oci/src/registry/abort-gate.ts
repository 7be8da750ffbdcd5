import type { Dispatcher } from "undici";
import { interruptedError } from "../interrupted.ts";
import { detachedController } from "./replay.ts";

/**
 * The innermost interceptor: once `signal` has fired, no request leaves the process, retries
 * included, so no tag can be written after an interruption. Requests that tidy up (cancelling an
 * upload session) go through a dispatcher without this gate.
 */
export function abortGate(signal: AbortSignal): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    if (!signal.aborted) return dispatch(opts, handler);
    queueMicrotask(() => handler.onResponseError?.(detachedController, interruptedError(signal)));
    return true;
  };
}
