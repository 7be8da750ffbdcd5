/** The shape of gitlab-runner-chart-<version>.json, written by extract-chart-values.ts. */
export interface ChartValues {
  source: {
    chart: string;
    version: string;
    /** Where the packaged chart was read from. */
    packagedIn: { repository: string; commit: string; path: string };
  };
  extractedBy: string;
  /** Every key path of the chart's values.yaml (dot-separated) → the type of its default. */
  values: Record<string, ValueType>;
  /** Every `.Values.<path>` the chart's templates use. */
  reads: string[];
  /** Paths the templates render whole with toYaml, so any key below them reaches Kubernetes as written. */
  freeForm: string[];
}

export type ValueType = "map" | "list" | "string" | "integer" | "float" | "boolean" | "null";

/** The type of a YAML value, as ChartValues records it. */
export function valueTypeOf(value: unknown): ValueType {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "map";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "float";
  return typeof value === "boolean" ? "boolean" : "string";
}
