import { PolyarchError } from "@polyarch/errors";

/** The host Docker Hub references normalize to (`alpine` → `docker.io/library/alpine`). */
export const DOCKER_HUB_HOST = "docker.io";

/** The key `docker login` writes Docker Hub credentials under, and the server URL its helpers expect. */
export const DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/";

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

// Docker's legacy keys carry the API path (`https://index.docker.io/v1/`); any other path on a key without
// a scheme is a podman-style namespace (`quay.io/org`), which is narrower than a whole host.
const API_PATH = /^\/v[12]\/?$/;

/**
 * The canonical form of a registry host, for matching: lower case, no scheme or path, the port kept
 * (`localhost:5000` and `localhost:5001` are different registries, and so are `r.example` and
 * `r.example:443`), and Docker Hub's aliases (`index.docker.io`, `registry-1.docker.io`) folded into
 * `docker.io`.
 */
export function normalizeRegistryHost(host: string): string {
  const normalized = hostOf(host);
  if (normalized === "" || /[\s@]/.test(normalized)) {
    throw new PolyarchError("POLYARCH_E_REGISTRY_HOST", `"${host}" is not a registry host`, {
      hint: "give a host name with an optional port, e.g. registry.example.com:5000",
    });
  }
  return normalized;
}

/**
 * The registry host a Docker/podman config key (`auths` or `credHelpers`) stands for, or `undefined` if
 * the key is scoped to a namespace (`quay.io/org`) rather than a whole registry.
 */
export function configKeyHost(key: string): string | undefined {
  const trimmed = key.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  const withoutScheme = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = withoutScheme.indexOf("/");
  if (!hasScheme && slash !== -1 && !API_PATH.test(withoutScheme.slice(slash))) return undefined;
  const host = hostOf(trimmed);
  return host === "" ? undefined : host;
}

/** The server URL `docker-credential-<name> get` is asked about for `host` (already normalized). */
export function helperServerUrl(host: string): string {
  return host === DOCKER_HUB_HOST ? DOCKER_HUB_CONFIG_KEY : host;
}

/**
 * The entry of a config map (`auths`, `credHelpers`) that applies to `host` (already normalized): an
 * exact key first, the way Docker writes them, then the first key that normalizes to the same host.
 */
export function findHostEntry<T>(
  entries: Readonly<Record<string, T>> | undefined,
  host: string,
): { key: string; value: T } | undefined {
  if (entries === undefined) return undefined;
  const exactKeys = host === DOCKER_HUB_HOST ? [DOCKER_HUB_CONFIG_KEY, ...DOCKER_HUB_ALIASES] : [host];
  for (const key of exactKeys) {
    if (Object.hasOwn(entries, key)) return { key, value: entries[key] as T };
  }
  for (const [key, value] of Object.entries(entries)) {
    if (configKeyHost(key) === host) return { key, value };
  }
  return undefined;
}

function hostOf(text: string): string {
  const host = text
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .split("/", 1)[0]!
    .toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_HOST : host;
}
