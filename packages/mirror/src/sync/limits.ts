import pLimit, { type LimitFunction } from "p-limit";

/**
 * Concurrency limits for many tasks: one for all of them, and one per registry a task touches. A
 * task takes its registries' slots in name order and the overall slot last, so two tasks never hold
 * a slot the other waits for, and a task queued behind a busy registry holds no overall slot.
 */
export class RegistryLimits {
  readonly #overall: LimitFunction;
  readonly #perRegistry = new Map<string, LimitFunction>();
  readonly #overallConcurrency: number;
  readonly #concurrencyOf: (registry: string) => number | undefined;

  /** `concurrencyOf(registry)` undefined means the overall limit. */
  constructor(
    concurrency: number,
    concurrencyOf: (registry: string) => number | undefined = () => undefined,
  ) {
    this.#overallConcurrency = concurrency;
    this.#overall = pLimit(concurrency);
    this.#concurrencyOf = concurrencyOf;
  }

  run<T>(registries: readonly string[], task: () => Promise<T>): Promise<T> {
    const ordered = [...new Set(registries)].sort();
    const nested = ordered.reduceRight<() => Promise<T>>(
      (inner, registry) => () => this.#limitFor(registry)(inner),
      () => this.#overall(task),
    );
    return nested();
  }

  #limitFor(registry: string): LimitFunction {
    let limit = this.#perRegistry.get(registry);
    if (!limit) {
      limit = pLimit(this.#concurrencyOf(registry) ?? this.#overallConcurrency);
      this.#perRegistry.set(registry, limit);
    }
    return limit;
  }
}
