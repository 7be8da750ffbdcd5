import { PolyarchError } from "@polyarch/errors";
import type { Env } from "./routing.ts";

/** 9999-12-31T23:59:59Z: a later timestamp is a typo (milliseconds, most often). */
const LATEST = 253_402_300_799;
/** A time with its zone, as GitLab's `CI_COMMIT_TIMESTAMP` gives it (`2026-12-01T10:00:00+00:00`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The timestamp a reproducible build pins (https://reproducible-builds.org/specs/source-date-epoch/), in
 * seconds since 1970 (pure): `--source-date-epoch` (seconds, or an ISO 8601 time with its zone such as
 * `$CI_COMMIT_TIMESTAMP`), else the job's `SOURCE_DATE_EPOCH` (seconds, as the spec says), else none.
 */
export function sourceDateEpoch(flag: string | undefined, env: Env): number | undefined {
  const [value, from] =
    flag !== undefined ? [flag, "--source-date-epoch"] : [env.SOURCE_DATE_EPOCH, "SOURCE_DATE_EPOCH"];
  if (value === undefined || (from === "SOURCE_DATE_EPOCH" && value === "")) return undefined;
  const seconds = /^\d{1,12}$/.test(value)
    ? Number(value)
    : from === "--source-date-epoch" && ISO_TIME.test(value)
      ? Math.floor(Date.parse(value) / 1000)
      : Number.NaN;
  if (!(seconds >= 0 && seconds <= LATEST)) {
    const forms =
      from === "--source-date-epoch" ? ", or a time with its zone such as $CI_COMMIT_TIMESTAMP" : "";
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `${from} ${JSON.stringify(value)} is not a number of seconds since 1970-01-01 (0 to ${LATEST})${forms}`,
      {
        hint: "give whole seconds, e.g. the commit's time: SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
      },
    );
  }
  return seconds;
}
