import { describe, expect, it } from "vitest";
import { clientOptionsFromEnv } from "./client-env.ts";

describe("network timing from the environment", () => {
  it("reads retries, backoff, the longest wait and the silence timeout; unset keeps the defaults", () => {
    expect(clientOptionsFromEnv({})).toEqual({ retry: {} });
    expect(
      clientOptionsFromEnv({
        POLYARCH_RETRIES: "2",
        POLYARCH_RETRY_BASE_MS: "5",
        POLYARCH_RETRY_MAX_MS: "40",
        POLYARCH_TIMEOUT_MS: "150",
      }),
    ).toEqual({ retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 40 }, timeoutMs: 150 });
  });

  it("refuses a value that is not a whole number, naming it (exit 2)", () => {
    expect(() => clientOptionsFromEnv({ POLYARCH_TIMEOUT_MS: "1.5s" })).toThrow(
      expect.objectContaining({
        code: "POLYARCH_E_BAD_FLAG",
        message: 'POLYARCH_TIMEOUT_MS="1.5s" is not a whole number',
      }),
    );
  });
});
