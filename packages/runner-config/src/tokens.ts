/**
 * GitLab token shapes that must never be written into a fleet file (and so never reach a rendered file).
 * https://docs.gitlab.com/security/tokens/#token-prefixes
 */
const TOKEN_PATTERNS: readonly { kind: "runner" | "legacy" | "other"; pattern: RegExp }[] = [
  { kind: "runner", pattern: /glrt-[0-9A-Za-z_.-]{8,}/ },
  // Legacy runner registration tokens (deprecated in GitLab 15.6) carry this fixed prefix.
  { kind: "legacy", pattern: /GR1348941[0-9A-Za-z_-]{8,}/ },
  { kind: "other", pattern: /gl(?:pat|dt|cbt|ptt|oas|ft|imt|agent|soat)-[0-9A-Za-z_.-]{8,}/ },
];

export const LEGACY_REGISTRATION_TOKEN_HINT =
  "legacy runner registration tokens are refused: create the runner in GitLab (Settings > CI/CD > Runners > " +
  "New runner) and reference its runner authentication token (glrt-…) with token: $RUNNER_TOKEN or " +
  "token: { kubernetes_secret: NAME }";

/** What kind of GitLab secret `value` contains, if any. */
export function findTokenKind(value: string): "runner" | "legacy" | "other" | undefined {
  return TOKEN_PATTERNS.find(({ pattern }) => pattern.test(value))?.kind;
}

/** The problem message for a literal secret found in a fleet file. */
export function literalTokenMessage(kind: "runner" | "legacy" | "other"): string {
  if (kind === "legacy") return LEGACY_REGISTRATION_TOKEN_HINT;
  if (kind === "runner")
    return (
      "a literal runner authentication token is refused; reference it instead: token: $RUNNER_TOKEN " +
      "(expanded by the runner) or token: { kubernetes_secret: NAME } (the chart's runners.secret)"
    );
  return "a literal GitLab token is refused; fleet files are meant to be committed, secrets are not";
}

/** Environment variable names as the runner expands them: `$NAME` or `${NAME}`. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `$NAME` or `${NAME}` → `NAME`; anything else → undefined. */
export function envReferenceName(value: string): string | undefined {
  const match = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(value);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** `text` with anything shaped like a GitLab token replaced, for messages that quote user input. */
export function redactTokens(text: string): string {
  return TOKEN_PATTERNS.reduce(
    (redacted, { pattern }) => redacted.replace(new RegExp(pattern.source, "g"), "[redacted token]"),
    text,
  );
}
