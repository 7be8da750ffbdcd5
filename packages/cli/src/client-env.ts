import { PolyarchError } from "@polyarch/errors";
import type { RegistryClientOptions } from "@polyarch/oci";

/**
 * Network timing from the environment, for a job that must give up sooner (or a test that cannot wait):
 * POLYARCH_RETRIES (attempts after the first), POLYARCH_RETRY_BASE_MS (first backoff step),
 * POLYARCH_RETRY_MAX_MS (longest wait, Retry-After included) and POLYARCH_TIMEOUT_MS (how long a
 * registry may stay silent). Unset means the client's defaults.
 */
export function clientOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<RegistryClientOptions, "retry" | "timeoutMs"> {
  const read = (name: string, unit: string) => {
    const text = env[name];
    if (text === undefined || text === "") return undefined;
    if (!/^\d+$/.test(text)) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_FLAG",
        `${name}=${JSON.stringify(text)} is not a whole number`,
        {
          hint: `set ${name} to a number of ${unit}, or unset it`,
        },
      );
    }
    return Number(text);
  };
  const retries = read("POLYARCH_RETRIES", "attempts");
  const baseDelayMs = read("POLYARCH_RETRY_BASE_MS", "milliseconds");
  const maxDelayMs = read("POLYARCH_RETRY_MAX_MS", "milliseconds");
  const timeoutMs = read("POLYARCH_TIMEOUT_MS", "milliseconds");
  return {
    retry: {
      ...(retries !== undefined && { retries }),
      ...(baseDelayMs !== undefined && { baseDelayMs }),
      ...(maxDelayMs !== undefined && { maxDelayMs }),
    },
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}
