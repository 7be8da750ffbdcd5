import type { Toleration } from "./schema.ts";

/**
 * `[runners.kubernetes.node_tolerations]` from tolerations (pure). The table maps `key=value` (Equal)
 * or `key` (Exists) to one effect, so two tolerations of one taint with different effects
 * (`NoSchedule`, `NoExecute`) cannot both be written: that key gets the empty effect, which
 * Kubernetes reads as every effect, so neither is lost. `widened` lists those keys and their effects.
 */
export function nodeTolerations(tolerations: readonly Toleration[]): {
  table: Record<string, string>;
  widened: Array<{ key: string; effects: string[] }>;
} {
  const effects = new Map<string, string[]>();
  for (const toleration of tolerations) {
    const key = tolerationKey(toleration);
    const seen = effects.get(key) ?? [];
    if (!seen.includes(toleration.effect)) seen.push(toleration.effect);
    effects.set(key, seen);
  }
  const table = Object.fromEntries(
    [...effects].map(([key, list]) => [key, list.length > 1 ? "" : (list[0] ?? "")]),
  );
  const widened = [...effects]
    .filter(([, list]) => list.length > 1)
    .map(([key, list]) => ({ key, effects: list }));
  return { table, widened };
}

/** `[runners.kubernetes.node_tolerations]` keys: `key=value` (Equal) or `key` (Exists). */
export function tolerationKey(toleration: Toleration): string {
  return toleration.operator === "Exists" ? toleration.key : `${toleration.key}=${toleration.value ?? ""}`;
}
