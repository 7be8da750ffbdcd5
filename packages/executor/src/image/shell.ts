/**
 * The shell a stage script runs with, as the Docker executor detects it: the first bash it finds, else
 * sh (busybox and Alpine images have no bash). gitlab-runner's bash scripts are also valid sh.
 */
export const SHELL_CANDIDATES = ["/usr/local/bin/bash", "/usr/bin/bash", "/bin/bash", "/bin/sh"] as const;

export function chooseShell(executable: ReadonlySet<string>): string | undefined {
  return SHELL_CANDIDATES.find((candidate) => executable.has(candidate));
}
