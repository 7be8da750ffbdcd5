/** Where the executor reads its settings when `--settings` is not given. */
export const DEFAULT_SETTINGS_PATH = "/etc/polyarch/executor.yaml";
