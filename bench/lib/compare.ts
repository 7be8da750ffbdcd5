import { renderTable } from "./format.ts";

/** The parts of a results.json this reads: each benchmark's rows with their ratio text ("0.48× buildah/polyarch"). */
interface Results {
  benchmarks?: Array<{ name: string; rows?: Array<{ case: string; ratio: string }> }>;
}

/** The leading number of a ratio cell ("1.36× skopeo/polyarch" → 1.36), or undefined for "n/a". */
export function ratioValue(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)×/.exec(text.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * One line per row found in both runs (matched by benchmark and case): the old ratio, the new one and how
 * much it moved. Rows only one run has are listed as new or gone (gone only for benchmarks this run ran, so
 * `pnpm bench NAME --compare` lists that benchmark alone), so a renamed case shows up too.
 */
export function compareRatios(previous: unknown, current: unknown): string {
  const index = (results: unknown) =>
    new Map(
      ((results as Results).benchmarks ?? []).flatMap((bench) =>
        (bench.rows ?? []).map((row) => [`${bench.name}\u0000${row.case}`, row.ratio] as const),
      ),
    );
  const before = index(previous);
  const after = index(current);
  const rows: string[][] = [];
  for (const [key, ratio] of after) {
    const [bench = "", label = ""] = key.split("\u0000");
    const old = before.get(key);
    const [a, b] = [old === undefined ? undefined : ratioValue(old), ratioValue(ratio)];
    const change =
      old === undefined
        ? "new"
        : a === undefined || b === undefined || a === 0
          ? "n/a"
          : `${b >= a ? "+" : "−"}${Math.abs((b / a - 1) * 100).toFixed(0)}%`;
    rows.push([bench, label, old ?? "", ratio, change]);
  }
  const ran = new Set([...after.keys()].map((key) => key.split("\u0000")[0]));
  for (const [key, ratio] of before) {
    if (after.has(key)) continue;
    const [bench = "", label = ""] = key.split("\u0000");
    if (!ran.has(bench)) continue;
    rows.push([bench, label, ratio, "", "gone"]);
  }
  return renderTable(["Benchmark", "Case", "Before", "After", "Change"], rows);
}
