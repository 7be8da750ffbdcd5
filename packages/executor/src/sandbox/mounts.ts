/** Where a job sees its builds and cache directories (bound in from its job directory). */
export const BUILDS_DIR = "/builds";
export const CACHE_DIR = "/cache";
/** Where the helper image's tree and the runner tools (`gitlab-runner`, `git`) are seen inside a job. */
export const HELPER_MOUNT = "/polyarch/helper";
export const TOOLS_MOUNT = "/polyarch/bin";
/** Where the stage's script (a file gitlab-runner wrote on the host) is seen inside the job. */
export const SCRIPT_MOUNT = "/polyarch/script";
