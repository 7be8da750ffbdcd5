/** Where the helper image's tree and the runner tools (`gitlab-runner`, `git`) are seen inside a job. */
export const HELPER_MOUNT = "/polyarch/helper";
export const TOOLS_MOUNT = "/polyarch/bin";
