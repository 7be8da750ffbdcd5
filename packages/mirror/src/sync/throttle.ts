import { PolyarchError } from "@polyarch/errors";
import type { RateLimit } from "@polyarch/oci";
import pLimit, { type LimitFunction } from "p-limit";

export interface ThrottleOptions {
  /** The last `ratelimit-remaining` a registry sent (RegistryClient.rateLimit). */
  rateLimit?: (registry: string) => RateLimit | undefined;
  /** At or below this many requests left, pulls from the registry go one at a time. */
  slowDownAt: (registry: string) => number;
  log?: (message: string) => void;
}

/**
 * Holds pulls back when a registry's quota runs low. Registries such as Docker Hub count manifest
 * GETs (a pull) against a quota and report what is left in `ratelimit-remaining`; HEADs are free. So
 * up-to-date checks always run, and only transfers pass through here: once the quota is at or below
 * `slowDownAt` they run one at a time, and with nothing left they fail at once (naming the registry
 * and the window) instead of adding 429s; a 429 that does arrive is retried after its Retry-After by
 * the registry client.
 */
export class PullThrottle {
  readonly #options: ThrottleOptions;
  readonly #serial = new Map<string, LimitFunction>();
  /** Registries whose pulls were slowed down or refused, in the order that happened. */
  readonly throttled: string[] = [];

  constructor(options: ThrottleOptions) {
    this.#options = options;
  }

  /** Runs `transfer` from `registry` now, one at a time, or not at all, as the quota allows. */
  async run<T>(registry: string | undefined, transfer: () => Promise<T>): Promise<T> {
    const limit = registry === undefined ? undefined : this.#options.rateLimit?.(registry);
    if (registry === undefined || limit === undefined) return transfer();
    if (limit.remaining <= 0) {
      this.#note(registry, `${registry} has no pulls left in its rate-limit window; not pulling`);
      const window = limit.windowSeconds === undefined ? "" : ` (a ${limit.windowSeconds} s window)`;
      throw new PolyarchError(
        "POLYARCH_E_RATE_LIMITED",
        `${registry} reports 0 of ${limit.limit ?? "its"} pulls left${window}; this image was not pulled`,
        { hint: "run again when the window has passed, or authenticate to get a higher limit" },
      );
    }
    if (limit.remaining > this.#options.slowDownAt(registry)) return transfer();
    this.#note(
      registry,
      `${registry} has ${limit.remaining} pulls left in its rate-limit window; pulling one image at a time`,
    );
    let serial = this.#serial.get(registry);
    if (!serial) {
      serial = pLimit(1);
      this.#serial.set(registry, serial);
    }
    return serial(transfer);
  }

  #note(registry: string, message: string): void {
    if (this.throttled.includes(registry)) return;
    this.throttled.push(registry);
    this.#options.log?.(message);
  }
}
