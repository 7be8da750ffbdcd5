/**
 * Runs `fn` while sampling this process's resident set size every `intervalMs`, and reports the peak
 * seen (bytes) next to the RSS before it started. For in-process work such as streaming a large blob;
 * child processes are measured by `runProcess` instead.
 */
export async function sampledPeakRss<T>(
  fn: () => Promise<T>,
  intervalMs = 5,
): Promise<{ value: T; baselineRssBytes: number; peakRssBytes: number }> {
  const baselineRssBytes = process.memoryUsage.rss();
  let peakRssBytes = baselineRssBytes;
  const sample = () => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  try {
    const value = await fn();
    sample();
    return { value, baselineRssBytes, peakRssBytes };
  } finally {
    clearInterval(timer);
  }
}
