/**
 * Jobs start several executor processes each (config, prepare, every stage, cleanup); on a loaded
 * machine running the whole suite in parallel, one job can take tens of seconds. Not an assertion.
 */
export const JOB_TIMEOUT_MS = 300_000;
