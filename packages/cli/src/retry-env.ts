import { PolyarchError, type RegistryClientOptions } from "@polyarch/oci";

/**
 * Retry timing from the environment, for a job that must give up sooner (or a test that cannot wait):
 * POLYARCH_RETRIES (attempts after the first), POLYARCH_RETRY_BASE_MS (first backoff step) and
 * POLYARCH_RETRY_MAX_MS (longest wait, Retry-After included). Unset means the client's defaults.
 */
export function retryFromEnv(env: NodeJS.ProcessEnv): RegistryClientOptions["retry"] {
  const read = (name: string) => {
    const text = env[name];
    if (text === undefined || text === "") return undefined;
    if (!/^\d+$/.test(text)) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_FLAG",
        `${name}=${JSON.stringify(text)} is not a whole number`,
        {
          hint: `set ${name} to a number of ${name === "POLYARCH_RETRIES" ? "attempts" : "milliseconds"}, or unset it`,
        },
      );
    }
    return Number(text);
  };
  const retries = read("POLYARCH_RETRIES");
  const baseDelayMs = read("POLYARCH_RETRY_BASE_MS");
  const maxDelayMs = read("POLYARCH_RETRY_MAX_MS");
  return {
    ...(retries !== undefined && { retries }),
    ...(baseDelayMs !== undefined && { baseDelayMs }),
    ...(maxDelayMs !== undefined && { maxDelayMs }),
  };
}
