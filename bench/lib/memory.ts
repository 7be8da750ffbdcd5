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

/**
 * Like `sampledPeakRss`, for the memory held in Buffers and ArrayBuffers (`process.memoryUsage().arrayBuffers`),
 * dead ones not yet collected included: what streaming a blob allocates, whatever the heap already holds.
 */
export async function sampledPeakArrayBuffers<T>(
  fn: () => Promise<T>,
  intervalMs = 5,
): Promise<{ value: T; baselineBytes: number; peakBytes: number }> {
  const baselineBytes = process.memoryUsage().arrayBuffers;
  let peakBytes = baselineBytes;
  const sample = () => {
    peakBytes = Math.max(peakBytes, process.memoryUsage().arrayBuffers);
  };
  const timer = setInterval(sample, intervalMs);
  try {
    const value = await fn();
    sample();
    return { value, baselineBytes, peakBytes };
  } finally {
    clearInterval(timer);
  }
}
