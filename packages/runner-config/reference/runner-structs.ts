/**
 * The shape of gitlab-runner-<tag>.json: the config.toml keys gitlab-runner decodes (BurntSushi/toml into
 * `common.Config` and every struct it reaches) and the Go type behind each, as extract-runner-config.ts
 * reads them from gitlab-runner's source at one tag.
 */
export interface RunnerStructs {
  source: { repository: string; tag: string; commit: string };
  /** Modules whose types were followed too, at the version gitlab-runner's go.mod requires. */
  dependencies: Array<{ module: string; version: string; commit: string }>;
  extractedBy: string;
  /** The struct config.toml decodes into. */
  root: string;
  /** `<package dir>.<Type>` → its toml keys, in declaration order (embedded structs' keys promoted). */
  structs: Record<string, { file: string; fields: Record<string, RunnerField> }>;
  /**
   * `<package dir>.<var>` → the strings of a top-level slice literal of string constants in a package read
   * here (`common.validSeccompProfileTypes`: the seccomp profile types KubernetesSeccompProfile accepts).
   */
  valueLists: Record<string, string[]>;
}

export interface RunnerField {
  /** The Go field, `Embedded.Field` when promoted from an embedded struct. */
  field: string;
  /** The Go type as written. */
  go: string;
  type: DecodedType;
}

/**
 * What a TOML value must be to decode into the field. `pointer` marks an optional (`*T`) field.
 * - duration: time.Duration, which BurntSushi/toml decodes from a string ("1h30m") or an integer.
 * - datetime: time.Time, a TOML date-time.
 * - text: a type with an UnmarshalText method, decoded from a string.
 * - custom: a type with its own UnmarshalTOML method; what it accepts is in its code.
 * - external: a type from outside gitlab-runner's module (Kubernetes, Docker), not followed.
 * - unsupported: a type BurntSushi/toml cannot decode into (func, chan).
 */
export type DecodedType = (
  | { kind: "string" | "boolean" | "integer" | "float" | "duration" | "datetime" | "any" }
  | { kind: "array"; items: DecodedType }
  | { kind: "map"; values: DecodedType }
  | { kind: "table"; struct: string }
  | { kind: "text" | "custom" | "external" | "unsupported"; go: string }
) & { pointer?: true };
