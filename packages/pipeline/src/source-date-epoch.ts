import { PolyarchError } from "@polyarch/oci";
import type { Env } from "./routing.ts";

/** 9999-12-31T23:59:59Z: a later timestamp is a typo (milliseconds, most often). */
const LATEST = 253_402_300_799;

/**
 * The timestamp a reproducible build pins (https://reproducible-builds.org/specs/source-date-epoch/), in
 * seconds since 1970: `--source-date-epoch`, else the job's `SOURCE_DATE_EPOCH`, else none (pure).
 */
export function sourceDateEpoch(flag: string | undefined, env: Env): number | undefined {
  const [value, from] =
    flag !== undefined ? [flag, "--source-date-epoch"] : [env.SOURCE_DATE_EPOCH, "SOURCE_DATE_EPOCH"];
  if (value === undefined || (from === "SOURCE_DATE_EPOCH" && value === "")) return undefined;
  const seconds = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds <= LATEST)) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `${from} ${JSON.stringify(value)} is not a number of seconds since 1970-01-01 (0 to ${LATEST})`,
      {
        hint: "give whole seconds, e.g. the commit's time: SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
      },
    );
  }
  return seconds;
}
