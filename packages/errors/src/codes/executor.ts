import type { CodeEntries } from "../kinds.ts";

/** @polyarch/executor: the custom executor's jobs, images and sandbox. */
export const executorCodes = {
  POLYARCH_E_IMAGE_NOT_ALLOWED: {
    kind: "input",
    summary: "a job's image is from a registry the executor does not allow",
  },
  POLYARCH_E_EXECUTOR_ENV: {
    kind: "operation",
    summary: "the custom executor was not given the environment gitlab-runner sets",
  },
  POLYARCH_E_IMAGE_PLATFORM: {
    kind: "operation",
    summary: "a job's image is not for the host's platform and cannot be emulated",
  },
  POLYARCH_E_LAYER_UNSAFE: {
    kind: "operation",
    summary: "a layer would write outside its root, or holds a device node",
  },
  POLYARCH_E_IMAGE_USER: { kind: "operation", summary: "an image's User names no user of the image" },
  POLYARCH_E_SANDBOX: { kind: "operation", summary: "the job's sandbox could not be set up or started" },
  POLYARCH_E_JOB_NOT_PREPARED: { kind: "operation", summary: "a job stage ran before prepare finished" },
} as const satisfies CodeEntries;
