/**
 * `WWW-Authenticate` challenges as registries send them (RFC 7235 auth-params; the distribution
 * token spec: https://distribution.github.io/distribution/spec/auth/token/).
 */
export interface Challenge {
  scheme: "bearer" | "basic" | string;
  params: Record<string, string>;
}

/** Parses one or more challenges from a WWW-Authenticate header value. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const challenges: Challenge[] = [];
  for (const value of values) {
    let rest = value.trim();
    while (rest !== "") {
      const scheme = /^([A-Za-z][\w.-]*)\s*/.exec(rest);
      if (!scheme?.[1]) break;
      rest = rest.slice(scheme[0].length);
      const params: Record<string, string> = {};
      for (;;) {
        const param = /^([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/.exec(rest);
        if (!param?.[1]) break;
        params[param[1].toLowerCase()] =
          param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : (param[3] ?? "");
        rest = rest.slice(param[0].length);
      }
      challenges.push({ scheme: scheme[1].toLowerCase(), params });
      rest = rest.replace(/^,\s*/, "");
    }
  }
  return challenges;
}
