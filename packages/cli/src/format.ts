/** Bytes for a person: `512 B`, `3.4 KiB`, `120 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** What a run's items copied of what refers to their images, one line; undefined when they copied none. */
export function referrersCopiedLine(
  items: ReadonlyArray<{ referrers?: { copied: { referrers: number; tags: number } } }>,
): string | undefined {
  let referrers = 0;
  let tags = 0;
  for (const item of items) {
    referrers += item.referrers?.copied.referrers ?? 0;
    tags += item.referrers?.copied.tags ?? 0;
  }
  return referrers + tags > 0
    ? `referrers copied: ${referrers} OCI referrers, ${tags} cosign tags`
    : undefined;
}

/** Left-aligned columns, two spaces apart, no trailing spaces. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** `a, b,,c` → `["a", "b", "c"]`: a comma-separated flag value, blanks dropped. */
export function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
