/**
 * The token scopes a registry request needs, derived from the request itself
 * (https://distribution.github.io/distribution/spec/auth/scope/): pull for reads, pull+push for
 * writes, and pull on the source repository of a cross-repository mount.
 */
export function scopesForRequest(method: string, path: string): string[] {
  const url = new URL(path, "http://registry.invalid");
  const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname);
  if (url.pathname === "/v2/_catalog") return ["registry:catalog:*"];
  if (!match?.[1]) return [];
  const repository = decodeURIComponent(match[1]);
  const write = method !== "GET" && method !== "HEAD";
  const scopes = [`repository:${repository}:${write ? "pull,push" : "pull"}`];
  const from = url.searchParams.get("from");
  if (url.searchParams.has("mount") && from && from !== repository) scopes.push(`repository:${from}:pull`);
  return scopes;
}

/** Merges scope strings, uniting the actions of the same resource: a stable key for the token cache. */
export function mergeScopes(scopes: readonly string[]): string[] {
  const actions = new Map<string, Set<string>>();
  for (const scope of scopes.flatMap((s) => s.split(" ")).filter(Boolean)) {
    const cut = scope.lastIndexOf(":");
    const resource = scope.slice(0, cut);
    const set = actions.get(resource) ?? new Set<string>();
    for (const action of scope.slice(cut + 1).split(",")) if (action) set.add(action);
    actions.set(resource, set);
  }
  return [...actions.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, set]) => `${resource}:${[...set].sort().join(",")}`);
}
